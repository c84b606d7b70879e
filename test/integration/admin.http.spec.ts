/**
 * The admin routes over HTTP, on a gateway node talking over NATS to a node with the events service,
 * a producing service with the outbox (sales) and a consumer (ledger), on real MariaDB with the
 * in-process events adapter. Tokens are real HS256 JWTs signed with the gateway's secret.
 */
import { execFile } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { ServiceBroker } from "moleculer";
import type { AppConfig } from "../../config";
import { signAccessToken } from "../../lib/auth/access-token";
import { newEvent } from "../../lib/events/event-envelope";
import authService from "../../services/auth/auth.service";
import eventsService from "../../services/events/events.service";
import gatewayService from "../../services/gateway/api.service";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { ledgerService, SALE_MADE, type SalePayload, salesService } from "../support/events/fixtures";
import { FlowDb, flowEnv, sleep, waitFor } from "../support/events/harness";
import { OutboxTable } from "../support/events/outbox-table";
import { api, ERROR_SHAPE, gatewayBaseUrl, type JsonResponse } from "../support/http";
import { infra } from "../support/infra";

const SECRET = "integration-test-secret-0123456789abcdef";
const ROOT = path.resolve(__dirname, "../..");

/** Every admin route, with a path that would succeed for an admin. */
const ROUTES: Array<[string, string]> = [
	["GET", "/api/admin/outbox"],
	["GET", "/api/admin/outbox/sales"],
	["POST", "/api/admin/outbox/sales/replay"],
	["GET", "/api/admin/dead-letters"],
	["POST", "/api/admin/dead-letters/1/requeue"],
];

interface DeadLetterDto {
	id: number;
	eventId: string | null;
	originalChannel: string;
	originalGroup: string | null;
	error: string | null;
	requeuedAt: string | null;
}

describe("admin routes over HTTP", () => {
	let services: ServiceBroker;
	let gateway: ServiceBroker;
	let gatewayConfig: AppConfig;
	let flowDb: FlowDb;
	let outbox: OutboxTable;
	let base: string;
	let adminToken: string;

	beforeAll(async () => {
		const env = flowEnv("", { TRANSPORTER: infra.natsUrl, JWT_SECRET: SECRET });
		flowDb = FlowDb.open(env.DB_NAME_PREFIX as string);
		outbox = OutboxTable.open(env.DB_NAME_PREFIX as string, "sales");
		const servicesConfig = testConfig({ ...env, NODE_ID: `ops-${uniqueId()}` });
		services = await startBroker(servicesConfig, [
			eventsService(servicesConfig),
			authService(servicesConfig),
			salesService(),
			ledgerService(),
		]);
		gatewayConfig = testConfig({ ...env, NODE_ID: `edge-${uniqueId()}` });
		gateway = await startBroker(gatewayConfig, [gatewayService(gatewayConfig)]);
		await gateway.waitForServices(["events", "auth", "sales", "ledger"], 20_000);
		base = gatewayBaseUrl(gateway);
		adminToken = await tokenFor("ops", ["admin"]);
	});

	afterAll(async () => {
		await Promise.allSettled([gateway?.stop(), services?.stop()]);
		await outbox?.close();
		await flowDb?.dropAndClose();
	});

	function tokenFor(sub: string, roles: string[], overrides: Partial<AppConfig["auth"]> = {}, now?: number) {
		return signAccessToken({ sub, roles }, { ...gatewayConfig.auth, ...overrides }, now);
	}

	function call<T = any>(method: string, url: string, token?: string, headers: Record<string, string> = {}) {
		return api<T>(base, method, url, undefined, token ? { authorization: `Bearer ${token}`, ...headers } : headers);
	}

	function admin<T = any>(method: string, url: string): Promise<JsonResponse<T>> {
		return call<T>(method, url, adminToken);
	}

	/** A sale event the ledger can apply, as the sales service would write it. */
	function saleEvent(amount = 1) {
		const orderId = `o-${uniqueId()}`;
		return newEvent<SalePayload>(SALE_MADE, orderId, { orderId, amount }, `corr-${uniqueId()}`);
	}

	/** Outbox rows that used up their publish attempts: only an operator's replay sends them. */
	async function seedFailed(count: number) {
		const events = Array.from({ length: count }, () => saleEvent());
		const now = Date.now();
		await outbox.insert(
			events.map((envelope) => ({ envelope, status: "FAILED", attempts: 10, nextAttemptAt: now, createdAt: now })),
		);
		return events.map((e) => e.eventId);
	}

	function expectError(res: JsonResponse, status: number, code: string) {
		expect(res.body).toMatchObject(ERROR_SHAPE);
		expect([res.status, res.body.error.status, res.body.error.code]).toEqual([status, status, code]);
	}

	describe("access", () => {
		it.each(ROUTES)(
			"when %s %s is called without a token, then it is 401 UNAUTHORIZED with the error JSON and the correlation id",
			async (method, url) => {
				const correlationId = `corr-${uniqueId()}`;
				const res = await call(method, url, undefined, { "x-correlation-id": correlationId });
				expectError(res, 401, "UNAUTHORIZED");
				expect(res.body.error.details).toEqual({ reason: "TOKEN_MISSING" });
				expect(res.body.error.correlationId).toBe(correlationId);
				expect(res.headers.get("x-correlation-id")).toBe(correlationId);
				expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
			},
		);

		const badTokens: Array<[string, () => Promise<string>, string]> = [
			["signed with another secret", () => tokenFor("ops", ["admin"], { jwtSecret: `x${SECRET}` }), "TOKEN_INVALID"],
			["from another issuer", () => tokenFor("ops", ["admin"], { jwtIssuer: "elsewhere" }), "TOKEN_INVALID"],
			["expired", () => tokenFor("ops", ["admin"], {}, Date.now() - 3_600_000), "TOKEN_EXPIRED"],
			["not a JWT", async () => "not-a-jwt", "TOKEN_INVALID"],
		];

		it.each(badTokens)(
			"when the admin token is %s, then it is 401 UNAUTHORIZED and nothing is called",
			async (_case, make, reason) => {
				const correlationId = `corr-${uniqueId()}`;
				const res = await call("GET", "/api/admin/outbox/sales", await make(), { "x-correlation-id": correlationId });
				expectError(res, 401, "UNAUTHORIZED");
				expect(res.body.error.details).toEqual({ reason });
				expect(res.body.error.correlationId).toBe(correlationId);
			},
		);

		it("when the Authorization header is not a bearer token, then it is 401 UNAUTHORIZED (TOKEN_MALFORMED)", async () => {
			const res = await call("GET", "/api/admin/outbox", undefined, { authorization: "Basic b3BzOnNlY3JldA==" });
			expectError(res, 401, "UNAUTHORIZED");
			expect(res.body.error.details).toEqual({ reason: "TOKEN_MALFORMED" });
		});

		it.each(ROUTES)(
			"when %s %s is called with a valid token without the admin role, then it is 403 FORBIDDEN",
			async (method, url) => {
				const correlationId = `corr-${uniqueId()}`;
				const token = await tokenFor("shopper", ["customer"]);
				const res = await call(method, url, token, { "x-correlation-id": correlationId });
				expectError(res, 403, "FORBIDDEN");
				expect(res.body.error.correlationId).toBe(correlationId);
			},
		);

		it("when a non-admin asks for a replay, then FAILED events stay FAILED", async () => {
			const ids = await seedFailed(1);
			const res = await call("POST", "/api/admin/outbox/sales/replay", await tokenFor("shopper", []));
			expect(res.status).toBe(403);
			await sleep(600); // three relay intervals
			expect(await outbox.statusOf(ids)).toEqual({ [ids[0] as string]: "FAILED" });
		});

		it("when an admin calls without X-API-Version, then the version guard answers 400 as on every other route", async () => {
			const res = await call("GET", "/api/admin/outbox", adminToken, { "x-api-version": "" });
			expectError(res, 400, "API_VERSION_REQUIRED");
		});

		it("when a token minted by `npm run token` (bin/issue-token.ts) is used, then the admin role it names is honoured", async () => {
			const mint = async (...roles: string[]) => {
				const { stdout } = await promisify(execFile)(
					process.execPath,
					["--import", "tsx", "bin/issue-token.ts", "--sub", "cli-ops", ...roles.flatMap((r) => ["--role", r])],
					{
						cwd: ROOT,
						env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? os.tmpdir(), JWT_SECRET: SECRET },
					},
				);
				return stdout.trim();
			};
			expect((await call("GET", "/api/admin/outbox", await mint("admin"))).status).toBe(200);
			expect((await call("GET", "/api/admin/outbox", await mint("viewer"))).status).toBe(403);
		});

		it("when an admin calls an admin path that does not exist, then it is 404", async () => {
			expectError(await admin("GET", "/api/admin/nothing-here"), 404, "NOT_FOUND");
		});
	});

	describe("outbox", () => {
		it("when an admin asks for a service's outbox status, then pending, failed, published and the oldest pending age match the table", async () => {
			for (let i = 0; i < 3; i++) await services.call("sales.sell", { orderId: `o-${uniqueId()}`, amount: 1 });
			await seedFailed(2);
			// A pending event a minute old whose next attempt is an hour away: it stays pending.
			const now = Date.now();
			await outbox.insert([
				{
					envelope: saleEvent(),
					status: "PENDING",
					attempts: 3,
					nextAttemptAt: now + 3_600_000,
					createdAt: now - 60_000,
				},
			]);
			const expected = await waitFor("a quiet outbox", async () => {
				const before = await outbox.counts();
				await sleep(300);
				const after = await outbox.counts();
				return JSON.stringify(before) === JSON.stringify(after) ? after : undefined;
			});
			expect(expected.published).toBeGreaterThanOrEqual(3);
			expect(expected.failed).toBeGreaterThanOrEqual(2);

			const sent = Date.now();
			const res = await admin("GET", "/api/admin/outbox/sales");
			const received = Date.now();
			expect(res.status).toBe(200);
			expect(res.body).toMatchObject({
				service: "sales",
				pending: expected.pending,
				failed: expected.failed,
				published: expected.published,
			});
			const oldest = expected.oldestPendingCreatedAt as number;
			expect(res.body.oldestPendingAgeMs).toBeGreaterThanOrEqual(Math.max(60_000, sent - oldest));
			expect(res.body.oldestPendingAgeMs).toBeLessThanOrEqual(received - oldest);

			const all = await admin("GET", "/api/admin/outbox");
			expect(all.status).toBe(200);
			expect(all.body).toEqual({
				sales: expect.objectContaining({ pending: expected.pending, failed: expected.failed }),
			});
		});

		it("when an admin replays a service's outbox, then its FAILED events go back in line, are published and consumed", async () => {
			const ids = await seedFailed(3);
			// Left alone, FAILED events are never sent.
			await sleep(600);
			expect(Object.values(await outbox.statusOf(ids))).toEqual(["FAILED", "FAILED", "FAILED"]);
			expect((await flowDb.ledgerEventIds()).filter((id) => ids.includes(id))).toEqual([]);
			const failedBefore = (await outbox.counts()).failed;

			const res = await admin("POST", "/api/admin/outbox/sales/replay");
			expect(res.status).toBe(200);
			expect(res.body).toEqual({ service: "sales", requeued: failedBefore });

			await waitFor("the replayed events to be published", async () => {
				const statuses = Object.values(await outbox.statusOf(ids));
				return statuses.length === 3 && statuses.every((s) => s === "PUBLISHED") ? true : undefined;
			});
			await waitFor("the ledger to apply the replayed events", async () => {
				const applied = (await flowDb.ledgerEventIds()).filter((id) => ids.includes(id));
				return applied.length === 3 ? true : undefined;
			});
			expect((await admin("GET", "/api/admin/outbox/sales")).body.failed).toBe(0);
			expect((await admin("POST", "/api/admin/outbox/sales/replay")).body).toEqual({ service: "sales", requeued: 0 });
		});

		it.each([
			["GET", "/api/admin/outbox/no-such-service", 404, "UNKNOWN_SERVICE"],
			["POST", "/api/admin/outbox/no-such-service/replay", 404, "UNKNOWN_SERVICE"],
			["GET", "/api/admin/outbox/ledger", 404, "OUTBOX_NOT_FOUND"],
			["POST", "/api/admin/outbox/ledger/replay", 404, "OUTBOX_NOT_FOUND"],
			["GET", "/api/admin/outbox/api", 404, "OUTBOX_NOT_FOUND"],
			["GET", "/api/admin/outbox/events", 404, "OUTBOX_NOT_FOUND"],
			["GET", "/api/admin/outbox/Sales!", 400, "VALIDATION_ERROR"],
			["GET", `/api/admin/outbox/${"s".repeat(65)}`, 400, "VALIDATION_ERROR"],
		])("when an admin calls %s %s, then it is %i %s", async (method, url, status, code) => {
			expectError(await admin(method, url), status, code);
		});
	});

	describe("dead letters", () => {
		it("when an event keeps failing, then an admin sees its dead letter and, after the fix, requeues it once and it is applied", async () => {
			await services.call("ledger.rejectNegative", { on: true });
			try {
				const { eventId } = await services.call<{ eventId: string }, object>("sales.sell", {
					orderId: `poison-${uniqueId()}`,
					amount: -5,
				});
				const letter = await waitFor("the poison's dead letter", async () => {
					const res = await admin<DeadLetterDto[]>("GET", "/api/admin/dead-letters?limit=1000");
					expect(res.status).toBe(200);
					return res.body.find((l) => l.eventId === eventId);
				});
				expect(letter).toMatchObject({
					originalChannel: `${gatewayConfig.namespace}.${SALE_MADE}`,
					originalGroup: "ledger",
					requeuedAt: null,
				});
				expect(letter.error).toEqual(expect.any(String));
				expect(await flowDb.ledgerEventIds()).not.toContain(eventId);

				await services.call("ledger.rejectNegative", { on: false });
				const requeued = await admin<DeadLetterDto>("POST", `/api/admin/dead-letters/${letter.id}/requeue`);
				expect(requeued.status).toBe(200);
				expect(requeued.body).toMatchObject({ id: letter.id, eventId, requeuedAt: expect.any(String) });
				await waitFor("the requeued event in the ledger", async () =>
					(await flowDb.ledgerEventIds()).includes(eventId) ? true : undefined,
				);

				expectError(
					await admin("POST", `/api/admin/dead-letters/${letter.id}/requeue`),
					409,
					"DEAD_LETTER_ALREADY_REQUEUED",
				);
				const open = await admin<DeadLetterDto[]>("GET", "/api/admin/dead-letters?open=true&limit=1000");
				expect(open.body.map((l) => l.id)).not.toContain(letter.id);
				const everything = await admin<DeadLetterDto[]>("GET", "/api/admin/dead-letters?open=false&limit=1000");
				expect(everything.body.find((l) => l.id === letter.id)?.requeuedAt).toEqual(expect.any(String));
			} finally {
				await services.call("ledger.rejectNegative", { on: false });
			}
		});

		it.each([
			["POST", "/api/admin/dead-letters/999999999/requeue", 404, "DEAD_LETTER_NOT_FOUND"],
			["POST", "/api/admin/dead-letters/abc/requeue", 400, "VALIDATION_ERROR"],
			["POST", "/api/admin/dead-letters/0/requeue", 400, "VALIDATION_ERROR"],
			["GET", "/api/admin/dead-letters?limit=0", 400, "VALIDATION_ERROR"],
			["GET", "/api/admin/dead-letters?limit=1001", 400, "VALIDATION_ERROR"],
			["GET", "/api/admin/dead-letters?open=maybe", 400, "VALIDATION_ERROR"],
		])("when an admin calls %s %s, then it is %i %s", async (method, url, status, code) => {
			expectError(await admin(method, url), status, code);
		});
	});
});
