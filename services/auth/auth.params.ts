/** fastest-validator schemas of the auth actions. Bad input is a 400 that changes nothing. */

/** Trimmed and lower-cased by the validator, so one mailbox has one account whatever its spelling. */
const email = { type: "email", normalize: true, max: 254 } as const;
/** Bytes beyond 128 buy no safety and cost hashing time; 8 is the floor NIST SP 800-63B sets. */
const password = { type: "string", min: 8, max: 128 } as const;
const refreshToken = { type: "string", min: 16, max: 128, pattern: /^[A-Za-z0-9_-]+$/ } as const;

export const credentialsParams = { $$strict: "remove", email, password } as const;
export const refreshParams = { $$strict: "remove", refreshToken } as const;
export const logoutParams = { $$strict: "remove", refreshToken: { ...refreshToken, optional: true } } as const;
export const changePasswordParams = { $$strict: "remove", currentPassword: password, newPassword: password } as const;
export const validateParams = { token: { type: "string", min: 1, max: 4096 } } as const;

/** The provider's redirect back (RFC 6749 4.1.2): a code and our state, or an error; other parameters are dropped. */
const callbackValue = (max: number) => ({ type: "string", optional: true, max }) as const;
export const oidcCallbackParams = {
	$$strict: "remove",
	code: callbackValue(4096),
	state: callbackValue(512),
	iss: callbackValue(2048),
	error: callbackValue(256),
	error_description: callbackValue(1024),
	error_uri: callbackValue(2048),
} as const;
