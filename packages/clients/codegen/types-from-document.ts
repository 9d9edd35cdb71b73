import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

/**
 * TypeScript types (`paths`, `components`, `operations`) for one OpenAPI 3.1 document, as
 * openapi-typescript prints them. Build-time only: the clients import the printed file.
 */
export async function typesFromDocument(document: object, source: string): Promise<string> {
  const ast = await openapiTS(document as Parameters<typeof openapiTS>[0], { silent: true });
  return `${COMMENT_HEADER.replace(
    ' * Do not make direct changes to the file.',
    ` * Do not make direct changes to the file: it is generated from ${source}\n * by \`pnpm clients:generate\`.`,
  )}${astToString(ast)}`;
}
