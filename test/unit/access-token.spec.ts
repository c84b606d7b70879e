import { SignJWT } from "jose";
import { type AccessTokenSettings, signAccessToken, verifyAccessToken } from "../../lib/auth/access-token";
import { UNAUTHORIZED } from "../../lib/auth/auth.errors";

const settings: AccessTokenSettings = {
	jwtSecret: "unit-test-secret-0123456789abcdef0123456789",
	jwtIssuer: "shop",
	accessTokenTtlS: 900,
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What verify rejected the token with: the stable type and the reason clients see. */
async function rejection(token: string, verifySettings = settings, now?: number) {
	try {
		await verifyAccessToken(token, verifySettings, now);
	} catch (err) {
		const e = err as { type?: string; code?: number; data?: { reason?: string } };
		return { type: e.type, status: e.code, reason: e.data?.reason };
	}
	throw new Error("the token was accepted");
}

/** A token signed by hand, to make ones signAccessToken never would. */
function handMade(claims: Record<string, unknown>, alg = "HS256", secret = settings.jwtSecret) {
	const iat = Math.floor(Date.now() / 1000);
	return new SignJWT({ sub: "ops", iss: "shop", iat, exp: iat + 60, ...claims })
		.setProtectedHeader({ alg })
		.sign(new TextEncoder().encode(secret));
}

describe("access tokens", () => {
	it("when a token is signed, then verify returns its subject, roles, id and an expiry TTL seconds away", async () => {
		const now = Date.now();
		const token = await signAccessToken({ sub: "ops", roles: ["admin", "support"] }, settings, now);
		const claims = await verifyAccessToken(token, settings);
		expect(claims).toEqual({
			sub: "ops",
			roles: ["admin", "support"],
			jti: expect.stringMatching(UUID),
			exp: expect.any(Number),
		});
		expect(claims.exp).toBe(Math.floor(now / 1000) + 900);
	});

	it("when two tokens are signed for the same subject, then their ids differ (a blacklist can name one)", async () => {
		const a = await verifyAccessToken(await signAccessToken({ sub: "ops", roles: [] }, settings), settings);
		const b = await verifyAccessToken(await signAccessToken({ sub: "ops", roles: [] }, settings), settings);
		expect(a.jti).not.toBe(b.jti);
	});

	it("when a token has expired, then verify refuses it as TOKEN_EXPIRED", async () => {
		const issued = Date.now() - 901_000 - 10_000;
		const token = await signAccessToken({ sub: "ops", roles: ["admin"] }, settings, issued);
		expect(await rejection(token)).toEqual({ type: UNAUTHORIZED, status: 401, reason: "TOKEN_EXPIRED" });
	});

	it("when a token expired less than the clock tolerance ago, then it is still accepted, and not after", async () => {
		const now = Date.now();
		const token = await signAccessToken({ sub: "ops", roles: [] }, { ...settings, accessTokenTtlS: 60 }, now);
		await expect(verifyAccessToken(token, settings, now + 62_000)).resolves.toMatchObject({ sub: "ops" });
		expect((await rejection(token, settings, now + 70_000)).reason).toBe("TOKEN_EXPIRED");
	});

	it("when a token was signed with another secret, then verify refuses it as TOKEN_INVALID", async () => {
		const token = await signAccessToken(
			{ sub: "ops", roles: ["admin"] },
			{ ...settings, jwtSecret: "another-secret-0123456789abcdef0123456789" },
		);
		expect(await rejection(token)).toEqual({ type: UNAUTHORIZED, status: 401, reason: "TOKEN_INVALID" });
	});

	it("when a token comes from another issuer, then verify refuses it", async () => {
		const token = await signAccessToken({ sub: "ops", roles: ["admin"] }, { ...settings, jwtIssuer: "elsewhere" });
		expect(await rejection(token)).toEqual({ type: UNAUTHORIZED, status: 401, reason: "TOKEN_INVALID" });
	});

	it.each([
		["no roles claim", {}],
		["roles that are not a list", { roles: "admin" }],
		["roles that are not strings", { roles: ["admin", 7] }],
		["an empty subject", { roles: ["admin"], sub: "" }],
		["no subject", { roles: ["admin"], sub: undefined }],
		["no expiry", { roles: ["admin"], exp: undefined }],
	])("when a correctly signed token has %s, then verify refuses it", async (_case, claims) => {
		expect(await rejection(await handMade(claims))).toMatchObject({ type: UNAUTHORIZED, reason: "TOKEN_INVALID" });
	});

	it("when the token is signed with HS512 by the same secret, then it is refused (only HS256 is accepted)", async () => {
		const token = await handMade({ roles: ["admin"] }, "HS512");
		expect((await rejection(token)).reason).toBe("TOKEN_INVALID");
	});

	it("when a token is unsigned (alg none), then it is refused", async () => {
		const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
		const iat = Math.floor(Date.now() / 1000);
		const token = `${part({ alg: "none" })}.${part({ sub: "ops", roles: ["admin"], iss: "shop", iat, exp: iat + 60 })}.`;
		expect((await rejection(token)).reason).toBe("TOKEN_INVALID");
	});

	it("when the payload of a valid token is changed to add a role, then the signature no longer matches", async () => {
		const [header, payload, signature] = (await signAccessToken({ sub: "ops", roles: [] }, settings)).split(".");
		const claims = JSON.parse(Buffer.from(payload as string, "base64url").toString());
		const forged = Buffer.from(JSON.stringify({ ...claims, roles: ["admin"] })).toString("base64url");
		expect((await rejection(`${header}.${forged}.${signature}`)).reason).toBe("TOKEN_INVALID");
	});

	it.each(["", "not-a-jwt", "a.b.c"])("when the token is garbage (%p), then it is refused", async (token) => {
		expect((await rejection(token)).reason).toBe("TOKEN_INVALID");
	});
});
