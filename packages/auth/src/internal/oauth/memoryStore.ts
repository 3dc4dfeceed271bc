/**
 * The authorization server's store in this process's memory (see
 * `OAuthStore.memory`). Every operation runs synchronously on plain Maps, so
 * each is atomic: two fibers consuming one code, rotating one refresh token,
 * redeeming one device code or taking one interaction get one winner.
 */
import { Clock, Effect, Option } from "effect"
import type {
  Client,
  Code,
  Consent,
  DeviceCode,
  Grant,
  Interaction,
  RefreshToken,
  Service,
  SigningKey,
  UpstreamTokens
} from "../../OAuthStore.js"

/** The key of a consent or an upstream token: parts that may hold any character, joined unambiguously. */
const keyOf = (...parts: ReadonlyArray<string | undefined>): string => JSON.stringify(parts.map((part) => part ?? null))

/** Removes `record` fields whose value is `undefined` (so a cleared field is absent, as a store reads it back). */
const withoutUndefined = <A extends object>(record: A): A =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as A

/** Deletes the entries of `map` that `expired` selects; how many went. */
const sweep = <K, V>(map: Map<K, V>, expired: (value: V) => boolean): number => {
  let count = 0
  for (const [key, value] of map) {
    if (expired(value)) {
      map.delete(key)
      count++
    }
  }
  return count
}

export const makeMemoryOAuthStore = (): Service => {
  const clients = new Map<string, Client>()
  const codes = new Map<string, Code>()
  const grants = new Map<string, Grant>()
  const refreshTokens = new Map<string, RefreshToken>()
  /** jti → when the token would have expired anyway. */
  const revokedAccessTokens = new Map<string, number>()
  const consents = new Map<string, Consent>()
  const devices = new Map<string, DeviceCode>()
  /** userCode → digest of the device authorization holding it. */
  const userCodes = new Map<string, string>()
  const interactions = new Map<string, Interaction>()
  const upstreamTokens = new Map<string, UpstreamTokens>()
  const signingKeys = new Map<string, SigningKey>()

  const deleteRefreshOf = (grantIds: ReadonlySet<string>): number =>
    sweep(refreshTokens, (token) => grantIds.has(token.grantId))

  /** Revokes `grant` unless it was (the first revocation's time and reason stay) and ends its refresh tokens; true when it was live. */
  const revoke = (grant: Grant, now: number, reason: string): boolean => {
    deleteRefreshOf(new Set([grant.grantId]))
    if (grant.revokedAt !== undefined) return false
    grants.set(grant.grantId, { ...grant, revokedAt: now, revokedReason: reason })
    return true
  }

  const deviceByUserCode = (userCode: string): DeviceCode | undefined => {
    const digest = userCodes.get(userCode)
    return digest === undefined ? undefined : devices.get(digest)
  }

  const deleteDevice = (device: DeviceCode): void => {
    devices.delete(device.digest)
    if (userCodes.get(device.userCode) === device.digest) userCodes.delete(device.userCode)
  }

  return {
    getClient: (clientId) => Effect.sync(() => Option.fromNullable(clients.get(clientId))),
    putClient: (client) => Effect.sync(() => void clients.set(client.clientId, client)),
    deleteClient: (clientId) => Effect.sync(() => clients.delete(clientId)),
    touchClient: (clientId, now) =>
      Effect.sync(() => {
        const client = clients.get(clientId)
        if (client !== undefined) clients.set(clientId, withoutUndefined({ ...client, lastUsedAt: now, unusedExpiresAt: undefined }))
      }),

    // A credential is written once: a second put of the same digest changes nothing (it cannot reset `usedAt`).
    putCode: (code) =>
      Effect.sync(() => {
        if (!codes.has(code.digest)) codes.set(code.digest, code)
      }),
    consumeCode: (digest, now) =>
      Effect.sync(() => {
        const code = codes.get(digest)
        if (code === undefined) return Option.none()
        if (code.usedAt === undefined) codes.set(digest, { ...code, usedAt: now })
        return Option.some(code)
      }),

    // A revocation is never undone by putting the grant again.
    putGrant: (grant) =>
      Effect.sync(() => {
        const existing = grants.get(grant.grantId)
        grants.set(
          grant.grantId,
          existing?.revokedAt === undefined
            ? grant
            : { ...grant, revokedAt: existing.revokedAt, ...(existing.revokedReason === undefined ? {} : { revokedReason: existing.revokedReason }) }
        )
      }),
    getGrant: (grantId) => Effect.sync(() => Option.fromNullable(grants.get(grantId))),
    revokeGrant: (grantId, now, reason) =>
      Effect.sync(() => {
        const grant = grants.get(grantId)
        if (grant === undefined) {
          deleteRefreshOf(new Set([grantId]))
          return false
        }
        return revoke(grant, now, reason)
      }),
    revokeGrantsOf: (subject, now, reason, clientId) =>
      Effect.sync(() => {
        let count = 0
        for (const grant of [...grants.values()]) {
          if (grant.identity.subject !== subject || (clientId !== undefined && grant.clientId !== clientId)) continue
          if (revoke(grant, now, reason)) count++
        }
        return count
      }),
    revokeGrantsOfClient: (clientId, now, reason) =>
      Effect.sync(() => {
        const revoked: Array<string> = []
        for (const grant of [...grants.values()]) {
          if (grant.clientId === clientId && revoke(grant, now, reason)) revoked.push(grant.grantId)
        }
        return revoked
      }),
    putRefresh: (token) =>
      Effect.sync(() => {
        if (!refreshTokens.has(token.digest)) refreshTokens.set(token.digest, token)
      }),
    getRefresh: (digest) => Effect.sync(() => Option.fromNullable(refreshTokens.get(digest))),
    rotateRefresh: (digest, now) =>
      Effect.sync(() => {
        const token = refreshTokens.get(digest)
        if (token === undefined) return Option.none()
        if (token.rotatedAt !== undefined) return Option.some({ token, previouslyRotatedAt: token.rotatedAt })
        const rotated = { ...token, rotatedAt: now }
        refreshTokens.set(digest, rotated)
        return Option.some({ token: rotated, previouslyRotatedAt: undefined })
      }),

    revokeAccessToken: (jti, expiresAt) =>
      Effect.sync(() => void revokedAccessTokens.set(jti, Math.max(expiresAt, revokedAccessTokens.get(jti) ?? expiresAt))),
    isAccessTokenRevoked: (jti) => Effect.sync(() => revokedAccessTokens.has(jti)),

    getConsent: (subject, tenant, clientId) => Effect.sync(() => Option.fromNullable(consents.get(keyOf(subject, tenant, clientId)))),
    putConsent: (consent) => Effect.sync(() => void consents.set(keyOf(consent.subject, consent.tenant, consent.clientId), consent)),
    deleteConsent: (subject, tenant, clientId) => Effect.sync(() => consents.delete(keyOf(subject, tenant, clientId))),

    putDevice: (device) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sync(() => {
          if (devices.has(device.digest)) return false
          const holder = deviceByUserCode(device.userCode)
          if (holder !== undefined) {
            if (holder.expiresAt > now) return false
            deleteDevice(holder)
          }
          devices.set(device.digest, device)
          userCodes.set(device.userCode, device.digest)
          return true
        })),
    getDeviceByUserCode: (userCode) => Effect.sync(() => Option.fromNullable(deviceByUserCode(userCode))),
    decideDevice: (userCode, decision) =>
      Effect.sync(() => {
        const device = deviceByUserCode(userCode)
        if (device === undefined || device.status !== "pending") return false
        devices.set(
          device.digest,
          decision.approved ? { ...device, status: "approved", grant: decision.grant } : { ...device, status: "denied" }
        )
        return true
      }),
    pollDevice: (digest, now) =>
      Effect.sync(() => {
        const device = devices.get(digest)
        if (device === undefined) return Option.none()
        devices.set(digest, { ...device, lastPolledAt: now })
        return Option.some(device)
      }),
    slowDownDevice: (digest, intervalSeconds) =>
      Effect.sync(() => {
        const device = devices.get(digest)
        if (device !== undefined) devices.set(digest, { ...device, intervalSeconds: Math.max(device.intervalSeconds, intervalSeconds) })
      }),
    redeemDevice: (digest) =>
      Effect.sync(() => {
        const device = devices.get(digest)
        if (device === undefined || device.status !== "approved") return Option.none()
        const redeemed: DeviceCode = { ...device, status: "redeemed" }
        devices.set(digest, redeemed)
        return Option.some(redeemed)
      }),

    putInteraction: (interaction) => Effect.sync(() => void interactions.set(interaction.digest, interaction)),
    getInteraction: (digest) => Effect.sync(() => Option.fromNullable(interactions.get(digest))),
    takeInteraction: (digest) =>
      Effect.sync(() => {
        const interaction = interactions.get(digest)
        interactions.delete(digest)
        return Option.fromNullable(interaction)
      }),

    putUpstreamTokens: (tokens) => Effect.sync(() => void upstreamTokens.set(keyOf(tokens.provider, tokens.subject), tokens)),
    getUpstreamTokens: (provider, subject) => Effect.sync(() => Option.fromNullable(upstreamTokens.get(keyOf(provider, subject)))),
    deleteUpstreamTokens: (provider, subject) => Effect.sync(() => upstreamTokens.delete(keyOf(provider, subject))),

    listSigningKeys: Effect.sync(() =>
      [...signingKeys.values()].sort((a, b) => a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0))
    ),
    putSigningKey: (key) =>
      Effect.sync(() => {
        if (!signingKeys.has(key.kid)) signingKeys.set(key.kid, key)
      }),

    deleteExpired: (now) =>
      Effect.sync(() => {
        const expiredGrants = new Set<string>()
        let count = sweep(grants, (grant) => {
          if (grant.expiresAt > now) return false
          expiredGrants.add(grant.grantId)
          return true
        })
        count += sweep(refreshTokens, (token) => token.expiresAt <= now || expiredGrants.has(token.grantId))
        count += sweep(codes, (code) => code.expiresAt <= now)
        for (const device of [...devices.values()]) {
          if (device.expiresAt <= now) {
            deleteDevice(device)
            count++
          }
        }
        count += sweep(interactions, (interaction) => interaction.expiresAt <= now)
        count += sweep(revokedAccessTokens, (expiresAt) => expiresAt <= now)
        count += sweep(signingKeys, (key) => key.expiresAt <= now)
        count += sweep(clients, (client) => client.unusedExpiresAt !== undefined && client.unusedExpiresAt <= now)
        return count
      })
  }
}
