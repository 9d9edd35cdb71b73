import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: '../../migrations/records',
  schemaFilter: ['records'],
  migrations: { schema: 'tongban_migrations', table: 'records' },
});
