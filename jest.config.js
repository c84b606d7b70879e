/** Three layers, as in Moleculer itself: unit (no I/O), integration (brokers in one process against
 * real MariaDB/Redis/NATS/Kafka), e2e (real node processes). */
const tsJest = ["ts-jest", { diagnostics: false }];

/**
 * ESM-only dependencies (jose; openid-client and its oauth4webapi). Node 24 loads them from our CommonJS
 * build with require(esm), but Jest's module loader only does so under --experimental-vm-modules:
 * compile them to CommonJS instead.
 */
const ESM_PACKAGES = ["jose", "openid-client", "oauth4webapi"];
const transform = {
	"^.+\\.ts$": tsJest,
	[`/node_modules/(${ESM_PACKAGES.join("|")})/.+\\.js$`]: [
		"ts-jest",
		{ diagnostics: false, tsconfig: { allowJs: true } },
	],
};
const transformIgnorePatterns = [`/node_modules/(?!(${ESM_PACKAGES.join("|")})/)`];

/**
 * Integration and e2e share one global set-up (reuse or start the infrastructure, remove what stale runs left):
 * Jest runs a set-up module once per run even when several selected projects name it.
 */
const infrastructure = {
	globalSetup: "<rootDir>/test/support/global-setup.ts",
	globalTeardown: "<rootDir>/test/support/global-teardown.ts",
};

/**
 * The test:* scripts name this file after `--selectProjects <layer>` although Jest finds it anyway: any option
 * there ends the list of projects, which would otherwise swallow the paths of `npm run test:e2e -- <path>` as
 * more project names (jestjs/jest#13167).
 * @type {import('jest').Config}
 */
module.exports = {
	projects: [
		{
			displayName: "unit",
			testEnvironment: "node",
			transform,
			transformIgnorePatterns,
			testMatch: ["<rootDir>/test/unit/**/*.spec.ts"],
		},
		{
			displayName: "integration",
			testEnvironment: "node",
			transform,
			transformIgnorePatterns,
			testMatch: ["<rootDir>/test/integration/**/*.spec.ts"],
			...infrastructure,
			slowTestThreshold: 30,
		},
		{
			displayName: "e2e",
			testEnvironment: "node",
			transform,
			transformIgnorePatterns,
			testMatch: ["<rootDir>/test/e2e/**/*.spec.ts"],
			...infrastructure,
			slowTestThreshold: 30,
		},
	],
	testTimeout: 60_000,
};
