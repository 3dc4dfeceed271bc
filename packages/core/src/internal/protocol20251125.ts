/**
 * The method table of MCP 2025-11-25 (and of the older revisions it
 * negotiates: 2025-06-18, 2025-03-26, 2024-11-05): one entry per method the
 * server answers, each with its params and result Schemas and its handler.
 * Sessions are assumed (spec basic/lifecycle): `initialize` starts one.
 */
import { type Context, Effect } from "effect"
import type { Completer } from "../Completion.js"
import type * as JsonRpc from "../JsonRpc.js"
import * as McpError from "../McpError.js"
import * as McpSchema from "../McpSchema.js"
import type * as Prompt from "../Prompt.js"
import type * as Resource from "../Resource.js"
import type * as ResourceTemplate from "../ResourceTemplate.js"
import type * as Tool from "../Tool.js"
import { failed, isPlainRecord, isRecord, isRequestMeta, method, orInternal, type Route, type Session, type Table, table, type Target } from "./dispatch.js"
import * as SubscribedUris from "./subscribedUris.js"
import type * as Tasks from "./tasks.js"

type JsonObject = JsonRpc.JsonObject

/** A registered primitive with its composed target. */
export interface Compiled<A> {
  readonly value: A
  readonly target: Target
  /** Where completions of a prompt's or template's arguments run: its services, the global chain. */
  readonly completion: Target
}

/** A primitive as a list shows it: its definition, and its chain (which may hide it from a caller). */
export interface Listed {
  readonly definition: unknown
  readonly target: Target
}

/** A middleware of the primitive's chain may hide it from this caller (`Middleware.visible`). */
export const visibleIn = (target: Target, context: Context.Context<never>): boolean =>
  target.middleware.every((m) => m.visible === undefined || m.visible(context))

/** What serves a resource URI: the resource of that URI, else the first template matching it (spec server/resources). */
type Serving =
  | { readonly resource: Compiled<Resource.Any> }
  | { readonly template: Compiled<ResourceTemplate.Any>; readonly variables: Record<string, string> }

const serving = (
  resources: ReadonlyMap<string, Compiled<Resource.Any>>,
  templates: ReadonlyMap<string, Compiled<ResourceTemplate.Any>>,
  uri: string
): Serving | undefined => {
  const resource = resources.get(uri)
  if (resource !== undefined) return { resource }
  for (const template of templates.values()) {
    const variables = template.value.match(uri)
    if (variables !== undefined) return { template, variables }
  }
  return undefined
}

/**
 * Whether the resource `uri` names, as `resources/read` finds it, is hidden
 * from this caller: it may not subscribe to it either (spec server/resources
 * "Subscriptions"). A URI nothing serves yet is not hidden.
 */
export const hiddenUri = (
  resources: ReadonlyMap<string, Compiled<Resource.Any>>,
  templates: ReadonlyMap<string, Compiled<ResourceTemplate.Any>>,
  uri: string,
  context: Context.Context<never>
): boolean => {
  const found = serving(resources, templates, uri)
  return found !== undefined && !visibleIn("resource" in found ? found.resource.target : found.template.target, context)
}

const listed = <A extends { readonly definition: unknown }>(map: ReadonlyMap<string, Compiled<A>>) => (): ReadonlyArray<Listed> => {
  const out: Array<Listed> = []
  for (const entry of map.values()) out.push({ definition: entry.value.definition, target: entry.target })
  return out
}

/** What the table's handlers read: the registries and the server's own facts. */
export interface Registry {
  readonly tools: ReadonlyMap<string, Compiled<Tool.Any>>
  readonly resources: ReadonlyMap<string, Compiled<Resource.Any>>
  readonly templates: ReadonlyMap<string, Compiled<ResourceTemplate.Any>>
  readonly prompts: ReadonlyMap<string, Compiled<Prompt.Any>>
  /** The target of requests that address no primitive: the global chain. */
  readonly global: () => Target
  readonly capabilities: () => McpSchema.ServerCapabilities
  readonly serverInfo: McpSchema.Implementation
  readonly instructions: string | undefined
  /**
   * One page of a list (spec server/utilities/pagination), of the entries
   * the caller may see (`Middleware.visible`).
   */
  readonly page: (
    kind: string,
    field: string,
    entries: () => ReadonlyArray<Listed>,
    cursor: string | undefined,
    session: Session
  ) => Effect.Effect<JsonObject, McpError.InvalidParams>
  /** The task runner (spec basic/utilities/tasks): its methods, and the calls of tools that run as tasks. */
  readonly tasks?: Tasks.Runner | undefined
  /** The URIs the server's clients are subscribed to. */
  readonly subscribed: SubscribedUris.SubscribedUris
  /** The most URIs one session may be subscribed to (`McpServer.Options.maxSubscriptions`). */
  readonly maxSubscriptions: number
}

/** `tools/call` params as Schema decodes them, checked without its interpreter (the hot path). */
const fastCallTool = (params: unknown): McpSchema.CallToolRequestParams | undefined =>
  isPlainRecord(params) && typeof params.name === "string" && (params.arguments === undefined || isRecord(params.arguments)) &&
    params.task === undefined && isRequestMeta(params._meta)
    ? params as McpSchema.CallToolRequestParams
    : undefined

/** Params of the list methods: `cursor` absent or a string. */
const fastPaginated = (params: unknown): McpSchema.PaginatedRequestParams | undefined =>
  isPlainRecord(params) && (params.cursor === undefined || typeof params.cursor === "string") && isRequestMeta(params._meta)
    ? params as McpSchema.PaginatedRequestParams
    : undefined

const run = (target: Target, effect: Effect.Effect<JsonObject, McpError.ProtocolError>, primitive?: Route["primitive"]): Route => ({
  target,
  primitive,
  effect
})

/**
 * `tool.call(args)`, which never throws: a `Tool` need not come from
 * `Tool.make`, and a throw would escape the request's fiber into the
 * transport's callback. A throw is a defect, answered -32603.
 */
const callTool = (tool: Tool.Any, args: unknown): Effect.Effect<JsonObject, McpError.ProtocolError> => {
  try {
    return tool.call(args) as unknown as Effect.Effect<JsonObject, McpError.ProtocolError>
  } catch (e) {
    return Effect.die(e)
  }
}

/** The 2025-11-25 table over `registry`. */
export const make = (registry: Registry): Table =>
  table(
    // spec basic/lifecycle "Initialization" and "Version Negotiation"
    method("initialize", {
      params: McpSchema.InitializeRequestParams,
      result: McpSchema.InitializeResult,
      beforeInitialize: true,
      inline: true,
      handle: (params, session) => {
        if (session.initializeAnswered) {
          return failed(registry.global(), new McpError.InvalidRequest({ message: "The session is already initialized" }))
        }
        session.protocolVersion = (McpSchema.SUPPORTED_PROTOCOL_VERSIONS as ReadonlyArray<string>).includes(params.protocolVersion)
          ? params.protocolVersion
          : McpSchema.LATEST_PROTOCOL_VERSION
        session.clientCapabilities = params.capabilities
        session.clientInfo = params.clientInfo
        session.initializeAnswered = true
        return run(
          registry.global(),
          Effect.succeed({
            protocolVersion: session.protocolVersion,
            capabilities: registry.capabilities(),
            serverInfo: registry.serverInfo,
            ...(registry.instructions === undefined ? {} : { instructions: registry.instructions })
          } as JsonObject)
        )
      }
    }),

    // spec basic/utilities/ping
    method("ping", {
      params: McpSchema.RequestParams,
      result: McpSchema.EmptyResult,
      fast: (params) => (isPlainRecord(params) && isRequestMeta(params._meta) ? params : undefined),
      beforeInitialize: true,
      handle: () => run(registry.global(), Effect.succeed({}))
    }),

    // spec server/tools "Listing Tools"
    method("tools/list", {
      params: McpSchema.PaginatedRequestParams,
      result: McpSchema.ListToolsResult,
      fast: fastPaginated,
      handle: (params, session) => run(registry.global(), registry.page("tools", "tools", listed(registry.tools), params.cursor, session))
    }),

    // spec server/tools "Calling Tools"
    method("tools/call", {
      params: McpSchema.CallToolRequestParams,
      result: McpSchema.CallToolResult,
      fast: fastCallTool,
      handle: (params, session) => {
        const primitive = { kind: "tool", name: params.name } as const
        const tool = registry.tools.get(params.name)
        if (tool === undefined) {
          return failed(registry.global(), new McpError.InvalidParams({ message: `Unknown tool: ${McpError.clip(params.name)}` }), primitive)
        }
        // spec basic/utilities/tasks "Tool-Level Negotiation": only tools that may run as tasks (or a `task` param) go to the runner.
        const support = tool.value.definition.execution?.taskSupport
        if (registry.tasks !== undefined && (params.task !== undefined || support === "optional" || support === "required" || tool.value.task !== undefined)) {
          return registry.tasks.call(tool, params, session)
        }
        return run(tool.target, callTool(tool.value, params.arguments), primitive)
      }
    }),

    // spec server/resources "Listing Resources", "Resource Templates", "Reading Resources"
    method("resources/list", {
      params: McpSchema.PaginatedRequestParams,
      result: McpSchema.ListResourcesResult,
      fast: fastPaginated,
      handle: (params, session) => run(registry.global(), registry.page("resources", "resources", listed(registry.resources), params.cursor, session))
    }),
    method("resources/templates/list", {
      params: McpSchema.PaginatedRequestParams,
      result: McpSchema.ListResourceTemplatesResult,
      fast: fastPaginated,
      handle: (params, session) =>
        run(registry.global(), registry.page("resources/templates", "resourceTemplates", listed(registry.templates), params.cursor, session))
    }),
    method("resources/read", {
      params: McpSchema.ReadResourceRequestParams,
      result: McpSchema.ReadResourceResult,
      handle: (params) => {
        const uri = params.uri
        const primitive = { kind: "resource", name: uri } as const
        const found = serving(registry.resources, registry.templates, uri)
        if (found === undefined) return failed(registry.global(), new McpError.ResourceNotFound({ uri }), primitive)
        if ("resource" in found) {
          const { resource } = found
          return run(resource.target, orInternal(resource.value.read(uri), `resources/read ${McpError.clip(uri)}`) as unknown as Route["effect"], primitive)
        }
        const { template, variables } = found
        return run(
          template.target,
          orInternal(template.value.read(uri, variables), `resources/read ${McpError.clip(uri)}`) as unknown as Route["effect"],
          primitive
        )
      }
    }),

    // spec server/resources "Subscriptions"
    method("resources/subscribe", {
      params: McpSchema.SubscribeRequestParams,
      result: McpSchema.EmptyResult,
      handle: (params, session) =>
        run(
          registry.global(),
          Effect.flatMap(Effect.context<never>(), (context): Effect.Effect<JsonObject, McpError.ProtocolError> => {
            // A resource hidden from the caller is unknown to it (as `resources/read` answers, server/resources "Error Handling").
            if (hiddenUri(registry.resources, registry.templates, params.uri, context)) return Effect.fail(new McpError.ResourceNotFound({ uri: params.uri }))
            if (session.subscriptions.has(params.uri)) return Effect.succeed({})
            if (session.subscriptions.size >= registry.maxSubscriptions) return Effect.fail(SubscribedUris.tooMany(registry.maxSubscriptions, "a session"))
            session.subscriptions.add(params.uri)
            return Effect.as(registry.subscribed.add([params.uri]), {})
          })
        )
    }),
    method("resources/unsubscribe", {
      params: McpSchema.UnsubscribeRequestParams,
      result: McpSchema.EmptyResult,
      handle: (params, session) =>
        run(registry.global(), Effect.suspend(() => session.subscriptions.delete(params.uri) ? Effect.as(registry.subscribed.remove([params.uri]), {}) : Effect.succeed({})))
    }),

    // spec server/prompts "Listing Prompts", "Getting a Prompt"
    method("prompts/list", {
      params: McpSchema.PaginatedRequestParams,
      result: McpSchema.ListPromptsResult,
      fast: fastPaginated,
      handle: (params, session) => run(registry.global(), registry.page("prompts", "prompts", listed(registry.prompts), params.cursor, session))
    }),
    method("prompts/get", {
      params: McpSchema.GetPromptRequestParams,
      result: McpSchema.GetPromptResult,
      handle: (params) => {
        const primitive = { kind: "prompt", name: params.name } as const
        const prompt = registry.prompts.get(params.name)
        if (prompt === undefined) {
          return failed(registry.global(), new McpError.InvalidParams({ message: `Unknown prompt: ${McpError.clip(params.name)}` }), primitive)
        }
        return run(
          prompt.target,
          orInternal(prompt.value.get(params.arguments), `prompts/get ${McpError.clip(params.name)}`) as unknown as Route["effect"],
          primitive
        )
      }
    }),

    // spec server/utilities/completion
    method("completion/complete", {
      params: McpSchema.CompleteRequestParams,
      result: McpSchema.CompleteResult,
      handle: ({ argument, context, ref }) => {
        let completer: Completer<unknown> | undefined
        let target: Target
        if (ref.type === "ref/prompt") {
          const prompt = registry.prompts.get(ref.name)
          if (prompt === undefined) return failed(registry.global(), new McpError.InvalidParams({ message: `Unknown prompt: ${McpError.clip(ref.name)}` }))
          completer = prompt.value.completers[argument.name]
          target = prompt.completion
        } else {
          const template = registry.templates.get(ref.uri)
          if (template === undefined) {
            return failed(registry.global(), new McpError.InvalidParams({ message: `Unknown resource template: ${McpError.clip(ref.uri)}` }))
          }
          completer = template.value.completers[argument.name]
          target = template.completion
        }
        if (completer === undefined) return run(target, Effect.succeed({ completion: { values: [], total: 0, hasMore: false } }))
        return run(
          target,
          Effect.map(
            orInternal(completer({ value: argument.value, arguments: context?.arguments ?? {} }), "completion"),
            (values) => ({ completion: { values: values.slice(0, 100), total: values.length, hasMore: values.length > 100 } })
          ) as unknown as Route["effect"]
        )
      }
    }),

    // spec server/utilities/logging "Setting Log Level"
    method("logging/setLevel", {
      params: McpSchema.SetLevelRequestParams,
      result: McpSchema.EmptyResult,
      handle: (params, session) =>
        run(registry.global(), Effect.sync(() => {
          session.logLevel = params.level
          return {}
        }))
    }),

    // spec basic/utilities/tasks: tasks/get, tasks/result, tasks/cancel (and tasks/list with an owner binding)
    ...(registry.tasks?.methods2025 ?? [])
  )
