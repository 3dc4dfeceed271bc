/**
 * Progress notifications from inside a handler (spec 2025-11-25
 * basic/utilities/progress). Sent only when the request carried a
 * `progressToken`; otherwise reporting does nothing.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { RequestContext } from "./RequestContext.js"

/** Optional parts of a progress notification. */
export interface Options {
  readonly total?: number
  readonly message?: string
}

/**
 * Reports progress of the current request. `progress` must increase with each
 * call (spec: "The progress value MUST increase with each notification").
 */
export const report = (progress: number, options?: Options): Effect.Effect<void, never, RequestContext> =>
  Effect.flatMap(RequestContext, (request) =>
    request.progressToken === undefined
      ? Effect.void
      : request.session.notify(
        "notifications/progress",
        {
          progressToken: request.progressToken,
          progress,
          ...(options?.total === undefined ? {} : { total: options.total }),
          ...(options?.message === undefined ? {} : { message: options.message })
        },
        request.requestId
      ))
