export { cacheRoute, type RouteMiddleware } from './cache-route.js'
export { ROUTE_DEFAULTS, type CacheRouteOptions } from './route-options.js'
export { invalidatePath, tagResponse } from './route-origin.js'
