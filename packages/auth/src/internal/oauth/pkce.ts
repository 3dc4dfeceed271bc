/**
 * PKCE (RFC 7636) as OAuth 2.1 §4.1.1 and the MCP authorization spec require
 * it: S256 only, verifiers of 43–128 unreserved characters.
 */
import { createHash, timingSafeEqual } from "node:crypto"

/** RFC 7636 §4.1: `code-verifier = 43*128unreserved`. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/

/** RFC 7636 §4.2 with S256: BASE64URL(SHA256(ASCII(code_verifier))) is 43 characters. */
const CHALLENGE = /^[A-Za-z0-9\-_]{43}$/

/** The S256 challenge of a verifier (RFC 7636 §4.2). */
export const challengeOf = (verifier: string): string => createHash("sha256").update(verifier, "ascii").digest("base64url")

/** Whether `challenge` is a well-formed S256 challenge. */
export const isChallenge = (challenge: string): boolean => CHALLENGE.test(challenge)

/** Whether `verifier` is well formed and its S256 challenge is `challenge`, compared in constant time (RFC 7636 §4.6). */
export const verifies = (verifier: string, challenge: string): boolean => {
  if (!VERIFIER.test(verifier) || !CHALLENGE.test(challenge)) return false
  return timingSafeEqual(Buffer.from(challengeOf(verifier)), Buffer.from(challenge))
}
