import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: '../../migrations/portal',
  schemaFilter: ['portal'],
  migrations: { schema: 'tongban_migrations', table: 'portal' },
});
