/**
 * Where the real infrastructure for tests lives. Defaults match `infra/local`; override with
 * TEST_DATABASE_URL, TEST_REDIS_URL, TEST_NATS_URL, TEST_KAFKA_URL, TEST_SEARCH_URL, TEST_SMTP_URL to point at
 * other servers.
 */
export const infra = {
	databaseUrl: process.env.TEST_DATABASE_URL ?? "mysql://shop:shop@127.0.0.1:3306",
	redisUrl: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
	natsUrl: process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222",
	kafkaUrl: process.env.TEST_KAFKA_URL ?? "kafka://127.0.0.1:9092",
	/** OpenSearch (`infra/local/infra up opensearch`); indexes of tests are named `test-<run>-<id>-...`. */
	searchUrl: process.env.TEST_SEARCH_URL ?? "http://127.0.0.1:9200",
	/** Mailpit's SMTP (`infra/local/infra up mailpit`, which also builds the binary test/support/mailpit.ts runs). */
	smtpUrl: process.env.TEST_SMTP_URL ?? "smtp://127.0.0.1:1025",
};

/** Where infra/local's MariaDB listens on its Unix socket (`$SHOP_INFRA_DIR/mariadb/mariadb.sock`). */
export function localMariadbSocket(env: NodeJS.ProcessEnv = process.env): string {
	return `${env.SHOP_INFRA_DIR ?? "/var/tmp/shop-infra"}/mariadb/mariadb.sock`;
}
