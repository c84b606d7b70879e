import org.codelibs.opensearch.runner.OpenSearchRunner;

/**
 * One OpenSearch node for local tests and CI, started by infra/local/infra (no Docker, no distribution tarball).
 *
 * <p>Usage: {@code java -cp 'classes:libs/*' OpenSearchNode <dir> <host> <httpPort> <transportPort>}. The node keeps
 * its config, data and logs under {@code <dir>}, so a restart finds its indices again. It prints one line starting
 * with {@code READY} once the cluster is at least yellow, and stops cleanly on SIGTERM.
 */
public final class OpenSearchNode {
	public static void main(String[] args) throws Exception {
		if (args.length != 4) {
			System.err.println("usage: OpenSearchNode <dir> <host> <httpPort> <transportPort>");
			System.exit(2);
		}
		String dir = args[0], host = args[1], httpPort = args[2], transportPort = args[3];
		OpenSearchRunner runner = new OpenSearchRunner();
		// The runner would probe for a free HTTP port from baseHttpPort + 1 upwards: we name the port (a clash must fail),
		// and hand it baseHttpPort = port - 1 only so that what it prints is true.
		runner.setMaxHttpPort(-1);
		Runtime.getRuntime().addShutdownHook(new Thread(() -> {
			try {
				runner.close();
			} catch (Exception e) {
				e.printStackTrace();
			}
		}, "shop-opensearch-shutdown"));
		try {
			runner.onBuild((number, settings) -> settings
					.put("network.host", host)
					.put("http.port", httpPort)
					.put("transport.port", transportPort)
					.put("discovery.type", "single-node")
					.putList("node.roles", "cluster_manager", "data", "ingest")
					// A nearly full disk on a dev machine must not turn every index read-only.
					.put("cluster.routing.allocation.disk.threshold_enabled", false)
					.put("node.name", "shop-local-1"))
				// Flat layout under <dir> (the runner's default is <dir>/node_1/...), so infra and its README can name it.
				.build("-basePath", dir, "-confPath", dir + "/config", "-dataPath", dir + "/data", "-logsPath",
					dir + "/logs", "-numOfNode", "1", "-clusterName", "shop-local", "-printOnFailure",
					"-baseHttpPort", String.valueOf(Integer.parseInt(httpPort) - 1));
			runner.ensureYellow();
		} catch (Throwable e) {
			e.printStackTrace();
			System.exit(1);
		}
		System.out.println("READY OpenSearch on http://" + host + ":" + httpPort);
		Thread.currentThread().join();
	}
}
