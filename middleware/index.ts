export { statusRouter, STATUS_ROUTER_DEFAULTS } from './status/router.js'
export type { StatusRouterOptions, StatusHandler } from './status/router.js'
export type { StatusDocument } from './status/page.js'
export { cacheRoute, type RouteMiddleware } from './route/cache-route.js'
export {
  ROUTE_DEFAULTS,
  type CacheRouteOptions,
  type DirectivePermission,
  type RequestDirectiveOptions,
  type RouteMode,
} from './route/options.js'
export { invalidatePath, tagResponse } from './route/origin.js'
export type { RouteBypassReason, RouteSkipReason } from './route/cache-status.js'
export type { StoreRefusal } from './http/storability.js'
