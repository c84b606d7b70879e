/**
 * Who a suite acts as. The operator (catalog, stock, reading any order): `LOAD_OPERATOR_TOKEN` (e.g.
 * from `npm run -s token -- --sub ops --role admin`), else a login with `ADMIN_EMAIL`/`ADMIN_PASSWORD`,
 * else a token signed as `npm run token` signs it (with this environment's `JWT_SECRET`, so it works
 * against a shop that shares it: the embedded shop, or one run with the development secret).
 * Shoppers sign up through the public API, as real ones would.
 */
import { getConfig } from "../config";
import { signAccessToken } from "../lib/auth/access-token";
import { ADMIN_ROLE } from "../services/gateway/admin-routes";
import { inParallel, type ShopApi } from "./shop-api";

const SHOPPER_PASSWORD = "load-test-password";
/** Signups at once: each costs the auth service a scrypt hash (~50 ms of a core). */
const SIGNUP_CONCURRENCY = 8;

interface TokenPair {
	accessToken: string;
}

export async function operatorToken(api: ShopApi): Promise<string> {
	const given = process.env.LOAD_OPERATOR_TOKEN;
	if (given) return given;
	const email = process.env.ADMIN_EMAIL;
	const password = process.env.ADMIN_PASSWORD;
	if (email && password) {
		const login = await api.expect<TokenPair>([200], "POST", "/api/auth/login", { body: { email, password } });
		return login.body.accessToken;
	}
	return signAccessToken({ sub: "load-operator", roles: [ADMIN_ROLE] }, getConfig().auth);
}

export interface Shopper {
	email: string;
	token: string;
}

/**
 * Signs up `count` shoppers `load-<runId>-<i>@load.test`. A 429 means the gateway limits signups
 * per address (`RATE_LIMIT_AUTH`): the message says what to change rather than waiting a window out.
 */
export async function signUpShoppers(api: ShopApi, runId: string, count: number): Promise<Shopper[]> {
	const indexes = Array.from({ length: count }, (_, i) => i);
	return inParallel(indexes, SIGNUP_CONCURRENCY, async (i) => {
		const email = `load-${runId}-${i}@load.test`;
		const answer = await api.call<TokenPair>("POST", "/api/auth/signup", {
			body: { email, password: SHOPPER_PASSWORD },
		});
		if (answer.status === 429) {
			throw new Error(
				`signing up shoppers was rate-limited after ${i} (429): run the gateway with RATE_LIMIT_AUTH=0 for load runs, or pass fewer --users`,
			);
		}
		if (answer.status !== 201) throw new Error(`signup ${email}: ${answer.status} ${JSON.stringify(answer.body)}`);
		return { email, token: answer.body.accessToken };
	});
}
