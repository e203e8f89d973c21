export type {
  DocumentOptions,
  OpenApiDocument,
  ServedOpenApi,
  ServeOpenApiOptions,
} from './document.js';
export { OPENAPI_PATH, openApiDocument, serveOpenApi, toOpenApiPath } from './document.js';
export type { MountOptions, QueryCacheOptions, RouteHandler, RouteKit, RouteKitOptions } from './kit.js';
export { createRouteKit } from './kit.js';
export type {
  HttpMethod,
  RouteDeclaration,
  RouteInput,
  RouteReply,
  RouteRequest,
  RouteResponse,
  SecurityRequirement,
  Written,
  ZodObjectSchema,
} from './route.js';
export { defineRoute, WRITTEN } from './route.js';
export type { RouterPaths } from './router.js';
export { appRouter, guardedRoutes } from './router.js';
export type { FieldProblem, SingleLineTextOptions } from './validation.js';
export {
  CONTROL_CHARACTER_MESSAGE,
  fieldProblems,
  singleLineText,
  validate,
} from './validation.js';
