import { ListQuery, type ServiceInstance } from '@tongban/service-kit';
import type { IdentityContext } from '../../domain/context.js';
import { listDepartments } from '../../domain/departments/list-departments.js';
import { requestContext } from '../context.js';
import { DepartmentList } from './schemas.js';

export function departmentRoutes(app: ServiceInstance, ctx: IdentityContext) {
  app.get(
    '/v1/departments',
    {
      // The city's departments are a public directory (code and names), shown before sign-in.
      config: { public: true },
      schema: {
        tags: ['departments'],
        summary: 'List the departments of the city',
        querystring: ListQuery,
        response: { 200: DepartmentList },
      },
    },
    (request) =>
      listDepartments({
        ctx: requestContext(request, ctx, { anonymous: true }),
        input: request.query,
      }),
  );
}
