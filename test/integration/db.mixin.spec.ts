import fs from "node:fs";
import type { ServiceBroker, ServiceSchema } from "moleculer";
import { DataTypes, QueryTypes, type Sequelize } from "sequelize";
import type { Migration } from "../../lib/db/migrator";
import { defineService } from "../../lib/define-schema";
import { DbMixin } from "../../mixins/db.mixin";
import { startBroker, testConfig, uniqueId } from "../support/brokers";
import { infra, localMariadbSocket } from "../support/infra";

const migrations: Migration[] = [
	{
		name: "001-create-notes",
		async up(qi) {
			await qi.createTable("notes", {
				id: { type: DataTypes.STRING(64), primaryKey: true },
				body: { type: DataTypes.STRING(255), allowNull: false },
			});
		},
		async down(qi) {
			await qi.dropTable("notes");
		},
	},
	{
		name: "002-add-version",
		async up(qi) {
			await qi.addColumn("notes", "version", { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 });
		},
		async down(qi) {
			await qi.removeColumn("notes", "version");
		},
	},
];

function notesService(database: string): ServiceSchema {
	return defineService<{ sequelize: Sequelize }>({
		name: "notes",
		mixins: [DbMixin({ database, migrations })],
		actions: {
			async put(ctx) {
				const { id, body } = ctx.params as { id: string; body: string };
				await this.sequelize.transaction(async (transaction) => {
					await this.sequelize.query("INSERT INTO notes (id, body, version) VALUES (?, ?, 1)", {
						replacements: [id, body],
						transaction,
					});
				});
			},
			async get(ctx) {
				const rows = await this.sequelize.query("SELECT id, body, version FROM notes WHERE id = ?", {
					replacements: [(ctx.params as { id: string }).id],
					type: QueryTypes.SELECT,
				});
				return rows[0] ?? null;
			},
			/** How this connection reached the server: `localhost` over the Unix socket, `127.0.0.1:<port>` over TCP. */
			async connectionHost() {
				const rows = await this.sequelize.query<{ HOST: string }>(
					"SELECT HOST FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()",
					{ type: QueryTypes.SELECT },
				);
				return rows[0]?.HOST;
			},
			async migrations() {
				const rows = await this.sequelize.query("SELECT name FROM schema_migrations ORDER BY name", {
					type: QueryTypes.SELECT,
				});
				return (rows as Array<{ name: string }>).map((r) => r.name);
			},
		},
	});
}

describe.each([
	["MariaDB", { DATABASE_URL: infra.databaseUrl }],
	["SQLite", {}],
])("db.mixin on %s", (_label, env) => {
	const brokers: ServiceBroker[] = [];
	afterEach(async () => {
		await Promise.all(brokers.splice(0).map((b) => b.stop()));
	});

	it("when a service starts, then its migrations build the schema and a row round-trips", async () => {
		const database = `t_${uniqueId()}`;
		const config = testConfig(env);
		const broker = await startBroker(config, [notesService(database)]);
		brokers.push(broker);

		await broker.call("notes.put", { id: "n-1", body: "héllo ✓" });
		expect(await broker.call("notes.get", { id: "n-1" })).toEqual({ id: "n-1", body: "héllo ✓", version: 1 });
		expect(await broker.call("notes.migrations")).toEqual(["001-create-notes", "002-add-version"]);
	});

	it("when the service restarts, then applied migrations are not run again and data survives", async () => {
		const database = `t_${uniqueId()}`;
		const config = testConfig(env);
		const first = await startBroker(config, [notesService(database)]);
		await first.call("notes.put", { id: "n-2", body: "kept" });
		await first.stop();

		const second = await startBroker(config, [notesService(database)]);
		brokers.push(second);
		expect(await second.call("notes.get", { id: "n-2" })).toMatchObject({ body: "kept" });
		expect(await second.call("notes.migrations")).toEqual(["001-create-notes", "002-add-version"]);
	});

	it("when two nodes start on one fresh database at once, then both come up and each migration ran once", async () => {
		const database = `t_${uniqueId()}`;
		const config = testConfig(env);
		const started = await Promise.all([
			startBroker(config, [notesService(database)]),
			startBroker({ ...config, nodeId: `${config.nodeId}-b` }, [notesService(database)]),
		]);
		brokers.push(...started);
		expect(await started[0]?.call("notes.migrations")).toEqual(["001-create-notes", "002-add-version"]);
	});
});

describe("db.mixin on MariaDB through its Unix socket", () => {
	// Where infra/local's MariaDB listens; TEST_MARIADB_SOCKET names another.
	const socket = process.env.TEST_MARIADB_SOCKET ?? localMariadbSocket();
	let broker: ServiceBroker | undefined;
	afterEach(async () => {
		await broker?.stop();
		broker = undefined;
	});

	it("when DATABASE_URL has ?socket=, then the service's statements go through that socket, not TCP", async () => {
		expect(fs.existsSync(socket)).toBe(true);
		const url = new URL(infra.databaseUrl);
		url.searchParams.set("socket", socket);
		broker = await startBroker(testConfig({ DATABASE_URL: url.toString() }), [notesService(`t_${uniqueId()}`)]);
		await broker.call("notes.put", { id: "s-1", body: "over the socket" });
		expect(await broker.call("notes.get", { id: "s-1" })).toMatchObject({ body: "over the socket" });
		expect(await broker.call("notes.connectionHost")).toBe("localhost");
	});

	it("when DATABASE_URL has no socket, then the service connects over TCP", async () => {
		broker = await startBroker(testConfig({ DATABASE_URL: infra.databaseUrl }), [notesService(`t_${uniqueId()}`)]);
		expect(await broker.call("notes.connectionHost")).toMatch(/^127\.0\.0\.1:\d+$/);
	});
});
