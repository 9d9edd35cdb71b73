import { type BaseConfig, baseConfig, parseEnv, serviceEnv } from '@tongban/service-kit';
import { Type } from 'typebox';

const Url = (fallback: string) => Type.String({ pattern: '^https?://', default: fallback });

const Env = Type.Object({
  ...serviceEnv(3000),
  IDENTITY_URL: Url('http://127.0.0.1:3001'),
  WORKFLOW_URL: Url('http://127.0.0.1:3002'),
  RECORDS_URL: Url('http://127.0.0.1:3003'),
});

export interface PortalConfig extends BaseConfig {
  /** Where the gateway forwards /api/<service>/*. */
  readonly upstreams: {
    readonly identity: string;
    readonly workflow: string;
    readonly records: string;
  };
}

/** Pure: the caller hands in the environment and the working directory. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): PortalConfig {
  const parsed = parseEnv(Env, env);
  return {
    ...baseConfig('portal', parsed, env, cwd),
    upstreams: {
      identity: parsed.IDENTITY_URL,
      workflow: parsed.WORKFLOW_URL,
      records: parsed.RECORDS_URL,
    },
  };
}
