import { randomUUID } from "node:crypto";
import type { ServiceBroker } from "moleculer";
import authService from "../../services/auth/auth.service";
import gatewayService from "../../services/gateway/api.service";
import usersService, { MAX_ADDRESSES } from "../../services/users/users.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { api, ERROR_SHAPE, gatewayBaseUrl, type JsonResponse } from "../support/http";
import { infra } from "../support/infra";

describe.each([
	["MariaDB", { DATABASE_URL: infra.databaseUrl }],
	["SQLite", {}],
])("users over HTTP on %s", (_label, env) => {
	let broker: ServiceBroker;
	let base: string;

	beforeAll(async () => {
		const config = testConfig({ ...env, DB_NAME_PREFIX: `shop_t${uniqueId()}_` });
		broker = await startBroker(config, [gatewayService(config), authService(config), usersService(config)]);
		base = gatewayBaseUrl(broker);
	});
	afterAll(() => broker?.stop());

	/** A new shopper, and calls to `/api/users` as that shopper. */
	async function shopper() {
		const signup = await api(base, "POST", "/api/auth/signup", {
			email: `u-${uniqueId()}@example.com`,
			password: "a long enough password",
		});
		const authorization = `Bearer ${signup.body.accessToken}`;
		return {
			id: signup.body.user.id as string,
			call: (method: string, path: string, body?: unknown): Promise<JsonResponse> =>
				api(base, method, `/api/users${path}`, body, { authorization }),
		};
	}

	const home = {
		label: "home",
		recipient: "Ada Lovelace",
		line1: "12 St James's Sq",
		city: "London",
		postalCode: "SW1Y 4JH",
		country: "GB",
	};
	const work = {
		recipient: "Ada Lovelace",
		line1: "1 Analytical Way",
		line2: "Floor 2",
		city: "Cambridge",
		postalCode: "CB2 1TN",
		country: "GB",
	};

	it("when a call has no token, then it is 401", async () => {
		const res = await api(base, "GET", "/api/users/me");
		expect(res.status).toBe(401);
		expect(res.body).toMatchObject({ ...ERROR_SHAPE, error: { code: "UNAUTHORIZED" } });
	});

	it("when a new shopper reads its profile, then it is empty and names the caller", async () => {
		const me = await shopper();
		const res = await me.call("GET", "/me");
		expect(res.status).toBe(200);
		expect(res.body).toEqual({ userId: me.id, displayName: null, phone: null, preferences: {}, addresses: [] });
	});

	it("when the profile is updated, then the fields given change and bad input changes nothing", async () => {
		const me = await shopper();
		expect((await me.call("PUT", "/me", { displayName: "  Ada  ", phone: "+447700900123" })).body).toMatchObject({
			displayName: "Ada",
			phone: "+447700900123",
		});
		for (const bad of [
			{ phone: "0770 0900" },
			{ displayName: "x".repeat(101) },
			{ email: "a@b.c" },
			{ displayName: "a\u0000b" },
		]) {
			const res = await me.call("PUT", "/me", bad);
			expect(res.status).toBe(400);
			expect(res.body).toMatchObject({ error: { code: "VALIDATION_ERROR" } });
		}
		expect((await me.call("PUT", "/me", { phone: null })).body).toMatchObject({ displayName: "Ada", phone: null });
		expect((await me.call("GET", "/me")).body).toMatchObject({ displayName: "Ada", phone: null });
	});

	it("when a first profile write comes twenty times at once, then every one succeeds", async () => {
		const me = await shopper();
		const answers = await Promise.all(
			Array.from({ length: 20 }, (_, n) => me.call("PUT", "/me", { displayName: `Ada ${n}` })),
		);
		expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
		expect((await me.call("GET", "/me")).body.displayName).toMatch(/^Ada [0-9]+$/);
	});

	it("when different preferences are set at once, then none is lost", async () => {
		const me = await shopper();
		const changes = [{ language: "fr" }, { currency: "CHF" }, { marketingEmails: true }, { orderUpdates: false }];
		const answers = await Promise.all(changes.map((change) => me.call("PUT", "/me/preferences", change)));
		expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
		expect((await me.call("GET", "/me")).body.preferences).toEqual(Object.assign({}, ...changes));
	});

	it("when preferences are set, then they merge with the stored ones; unknown keys and wrong types are 400", async () => {
		const me = await shopper();
		await me.call("PUT", "/me/preferences", { language: "en-GB", marketingEmails: false });
		const merged = await me.call("PUT", "/me/preferences", { currency: "GBP" });
		expect(merged.body).toEqual({ language: "en-GB", marketingEmails: false, currency: "GBP" });
		expect((await me.call("PUT", "/me/preferences", { theme: "dark" })).status).toBe(400);
		expect((await me.call("PUT", "/me/preferences", { marketingEmails: "yes" })).status).toBe(400);
		expect((await me.call("GET", "/me")).body.preferences).toEqual({
			language: "en-GB",
			marketingEmails: false,
			currency: "GBP",
		});
	});

	it("when addresses are added, replaced and removed, then exactly one is the default while any exist", async () => {
		const me = await shopper();
		const first = await me.call("POST", "/me/addresses", home);
		expect(first.status).toBe(201);
		expect(first.body).toEqual({ ...home, line2: null, id: expect.any(String), isDefault: true });
		const second = await me.call("POST", "/me/addresses", { ...work, isDefault: true });
		expect(second.body.isDefault).toBe(true);
		const defaults = async () =>
			((await me.call("GET", "/me/addresses")).body as Array<{ id: string; isDefault: boolean }>)
				.filter((a) => a.isDefault)
				.map((a) => a.id);
		expect(await defaults()).toEqual([second.body.id]);

		const replaced = await me.call("PUT", `/me/addresses/${first.body.id}`, { ...home, city: "Bath", isDefault: true });
		expect(replaced.body).toMatchObject({ city: "Bath", isDefault: true });
		expect(await defaults()).toEqual([first.body.id]);

		expect((await me.call("DELETE", `/me/addresses/${first.body.id}`)).status).toBe(204);
		expect(await defaults()).toEqual([second.body.id]);
		expect((await me.call("GET", "/me")).body.addresses).toHaveLength(1);
	});

	it("when a shopper names another shopper's address, then it is 404 and that address is unchanged", async () => {
		const owner = await shopper();
		const intruder = await shopper();
		const { body: address } = await owner.call("POST", "/me/addresses", home);
		for (const res of [
			await intruder.call("PUT", `/me/addresses/${address.id}`, { ...home, city: "Elsewhere" }),
			await intruder.call("DELETE", `/me/addresses/${address.id}`),
		]) {
			expect(res.status).toBe(404);
			expect(res.body).toMatchObject({ ...ERROR_SHAPE, error: { code: "ADDRESS_NOT_FOUND" } });
		}
		expect((await owner.call("GET", "/me/addresses")).body).toEqual([address]);
		expect((await owner.call("DELETE", `/me/addresses/${randomUUID()}`)).status).toBe(404);
	});

	it("when an address is malformed, then it is 400 and none is stored", async () => {
		const me = await shopper();
		for (const bad of [
			{ ...home, country: "gb" },
			{ ...home, recipient: "" },
			{ ...home, postalCode: undefined },
			{ ...home, extra: 1 },
		]) {
			const res = await me.call("POST", "/me/addresses", bad);
			expect(res.status).toBe(400);
		}
		expect((await me.call("PUT", "/me/addresses/not-a-uuid", home)).status).toBe(400);
		expect((await me.call("GET", "/me/addresses")).body).toEqual([]);
	});

	it(`when a shopper has ${MAX_ADDRESSES} addresses, then one more is 409 ADDRESS_LIMIT`, async () => {
		const me = await shopper();
		for (let i = 0; i < MAX_ADDRESSES; i++) {
			expect((await me.call("POST", "/me/addresses", { ...home, label: `a${i}` })).status).toBe(201);
		}
		const over = await me.call("POST", "/me/addresses", home);
		expect(over.status).toBe(409);
		expect(over.body).toMatchObject({ error: { code: "ADDRESS_LIMIT", details: { limit: MAX_ADDRESSES } } });
		expect((await me.call("GET", "/me/addresses")).body).toHaveLength(MAX_ADDRESSES);
	});
});
