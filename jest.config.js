/** Three layers, as in Moleculer itself: unit (no I/O), integration (brokers in one process against
 * real MariaDB/Redis/NATS/Kafka), e2e (real node processes). */
const tsJest = ["ts-jest", { diagnostics: false }];

/** @type {import('jest').Config} */
module.exports = {
	projects: [
		{
			displayName: "unit",
			testEnvironment: "node",
			transform: { "^.+\\.ts$": tsJest },
			testMatch: ["<rootDir>/test/unit/**/*.spec.ts"],
		},
		{
			displayName: "integration",
			testEnvironment: "node",
			transform: { "^.+\\.ts$": tsJest },
			testMatch: ["<rootDir>/test/integration/**/*.spec.ts", "<rootDir>/test/e2e/**/*.spec.ts"],
			globalSetup: "<rootDir>/test/support/global-setup.ts",
			slowTestThreshold: 30,
		},
	],
	testTimeout: 60_000,
};
