import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { publicScope, type ServiceInstance } from '@tongban/service-kit';

/** The paths the front end draws: each gets the same shell, and its router picks the page. */
export const PAGE_PATHS = [
  '/',
  '/track/*',
  '/resident',
  '/counter',
  '/department',
  '/staff',
] as const;

// Shown when dist/ is missing, so a fresh clone run without `npm start` says what to do instead
// of answering 404. Plain HTML with no script or style: the same CSP applies.
const NOT_BUILT = `<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>通办 Tongban</title></head>
<body>
<h1>通办 <span lang="en">Tongban</span></h1>
<p>门户前端尚未构建。请运行 <code>npm start</code>（会自动构建），或 <code>pnpm --filter @tongban/portal build</code>。</p>
<p lang="en">The portal's front end has not been built. Run <code>npm start</code> (it builds it), or <code>pnpm --filter @tongban/portal build</code>.</p>
</body>
</html>
`;

/**
 * The pages: the built front end (services/portal/dist, made by Vite from web/). Its hashed
 * assets are cached for a year; the shell is revalidated on every load so a new build shows at
 * once. Everything the pages show comes through the gateway under /api.
 */
export async function pageRoutes(app: ServiceInstance, webRoot: string) {
  const shellFile = join(webRoot, 'index.html');
  const built = existsSync(shellFile);
  // Read once: the build is immutable while the process runs; a rebuild comes with a restart.
  const shell = built ? readFileSync(shellFile, 'utf8') : NOT_BUILT;

  await app.register(
    publicScope(async (pages) => {
      for (const path of PAGE_PATHS) {
        pages.get(path, { config: { public: true } }, async (_request, reply) =>
          reply
            .code(built ? 200 : 503)
            .header('cache-control', 'no-cache')
            .type('text/html; charset=utf-8')
            .send(shell),
        );
      }
      const assets = join(webRoot, 'assets');
      if (built && existsSync(assets)) {
        // @fastify/static takes no route config; the scope makes its routes public.
        await pages.register(fastifyStatic, {
          root: assets,
          prefix: '/assets/',
          index: false,
          wildcard: true,
          cacheControl: true,
          immutable: true,
          maxAge: '365d',
        });
      }
    }),
  );
}
