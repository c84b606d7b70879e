import type { ServiceBroker } from "moleculer";
import { QueryTypes, type Sequelize } from "sequelize";
import authService from "../../services/auth/auth.service";
import gatewayService from "../../services/gateway/api.service";
import inventoryService from "../../services/inventory/inventory.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { api, gatewayBaseUrl } from "../support/http";
import { infra } from "../support/infra";
import { testNamespace } from "../support/test-namespaces";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * ADMIN_EMAIL / ADMIN_PASSWORD on MariaDB: a node's start makes sure the operator account exists with
 * the admin role and that password, and the operator logs in like anyone else.
 */
describe("the admin account from ADMIN_EMAIL and ADMIN_PASSWORD", () => {
	// One database and key-value namespace for every node of this spec: each start finds what the last left.
	const shared = {
		NAMESPACE: testNamespace("test"),
		DATABASE_URL: infra.databaseUrl,
		REDIS_URL: infra.redisUrl,
		DB_NAME_PREFIX: `shop_t${uniqueId()}_`,
	};
	const adminEmail = `ops-${uniqueId()}@example.com`;
	let node: ServiceBroker | undefined;

	/** A node with the gateway, auth and inventory, started with these admin settings. */
	const startNode = async (admin: Record<string, string>) => {
		await node?.stop();
		const config = testConfig({ ...shared, ...admin });
		node = await startBroker(config, [gatewayService(config), authService(config), inventoryService(config)]);
		return gatewayBaseUrl(node);
	};
	afterAll(() => node?.stop());

	const login = (base: string, email: string, password: string) =>
		api(base, "POST", "/api/auth/login", { email, password });
	const setStock = (base: string, token: string) =>
		api(base, "POST", "/api/inventory/stock", { sku: `ADM-${uniqueId()}`, available: 3 }, bearer(token));
	const rolesInDb = async (email: string, on = node as ServiceBroker) => {
		const { sequelize } = on.getLocalService("auth") as unknown as { sequelize: Sequelize };
		const rows = await sequelize.query<{ roles: string }>("SELECT roles FROM users WHERE email = ?", {
			replacements: [email],
			type: QueryTypes.SELECT,
		});
		return rows.map((row) => row.roles);
	};

	it("when the node starts with them, then the operator logs in with the admin role and an admin-only route works", async () => {
		const base = await startNode({
			ADMIN_EMAIL: ` ${adminEmail.toUpperCase()} `,
			ADMIN_PASSWORD: "first operator password",
		});
		const res = await login(base, adminEmail, "first operator password");
		expect(res.status).toBe(200);
		expect(res.body.user).toMatchObject({ email: adminEmail, roles: ["admin"] });
		expect((await setStock(base, res.body.accessToken)).status).toBe(200);
		expect(await rolesInDb(adminEmail)).toEqual(["admin"]);
	});

	it("when a node starts again with the same settings, then nothing changes and the operator's session goes on", async () => {
		const base = await startNode({ ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: "first operator password" });
		const before = await login(base, adminEmail, "first operator password");
		const again = await startNode({ ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: "first operator password" });
		expect((await setStock(again, before.body.accessToken)).status).toBe(200);
		expect(await rolesInDb(adminEmail)).toEqual(["admin"]);
	});

	it("when a node starts with a new ADMIN_PASSWORD, then only the new one logs in and the sessions of the old one end", async () => {
		const base = await startNode({ ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: "first operator password" });
		const old = await login(base, adminEmail, "first operator password");
		expect(old.status).toBe(200);
		const next = await startNode({ ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: "second operator password" });
		expect((await login(next, adminEmail, "first operator password")).status).toBe(401);
		expect((await setStock(next, old.body.accessToken)).status).toBe(401);
		expect((await api(next, "POST", "/api/auth/refresh", { refreshToken: old.body.refreshToken })).status).toBe(401);
		const fresh = await login(next, adminEmail, "second operator password");
		expect(fresh.status).toBe(200);
		expect((await setStock(next, fresh.body.accessToken)).status).toBe(200);
	});

	it("when ADMIN_EMAIL names a shopper's account, then it gets the admin role next to its own", async () => {
		const shopperEmail = `shopper-${uniqueId()}@example.com`;
		const base = await startNode({});
		const signup = await api(base, "POST", "/api/auth/signup", { email: shopperEmail, password: "a shopper password" });
		expect(signup.status).toBe(201);
		expect((await setStock(base, signup.body.accessToken)).status).toBe(403);
		const next = await startNode({ ADMIN_EMAIL: shopperEmail, ADMIN_PASSWORD: "now an operator password" });
		const res = await login(next, shopperEmail, "now an operator password");
		expect(res.body.user.roles).toEqual(["customer", "admin"]);
		expect((await setStock(next, res.body.accessToken)).status).toBe(200);
	});

	it("when two nodes start at once with a new admin account, then there is exactly one", async () => {
		const email = `ops-race-${uniqueId()}@example.com`;
		const admin = { ADMIN_EMAIL: email, ADMIN_PASSWORD: "a raced operator password" };
		const configs = [1, 2].map(() => testConfig({ ...shared, ...admin }));
		const nodes = await Promise.all(configs.map((config) => startBroker(config, [authService(config)])));
		try {
			expect(await rolesInDb(email, nodes[0])).toEqual(["admin"]);
		} finally {
			await Promise.all(nodes.map((n) => n.stop()));
		}
	});
});
