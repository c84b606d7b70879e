/**
 * `GET /api/docs`: Swagger UI (the npm package swagger-ui-dist, served from node_modules: no CDN)
 * rendering `GET /api/openapi.json`. Only the files the page loads are served, by exact name, so a
 * request cannot reach any other file.
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";

export const DOCS_PATH = "/api/docs";
export const DOCUMENT_PATH = "/api/openapi.json";

const SWAGGER_UI_DIR = path.dirname(require.resolve("swagger-ui-dist/package.json"));

/** Swagger UI's files the page loads, by the name they are served under. */
const PACKAGE_ASSETS: Record<string, string> = {
	"swagger-ui.css": "text/css; charset=utf-8",
	"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
	"favicon-32x32.png": "image/png",
};

/**
 * The page's own script, a file rather than inline so a Content-Security-Policy of `script-src 'self'`
 * allows it. `validatorUrl: null`: Swagger UI would otherwise send the document to an online validator.
 */
const INIT_SCRIPT = `window.addEventListener("load", function () {
	window.ui = SwaggerUIBundle({
		url: ${JSON.stringify(DOCUMENT_PATH)},
		dom_id: "#swagger-ui",
		deepLinking: true,
		validatorUrl: null,
		tryItOutEnabled: false,
	});
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
	<meta charset="utf-8">
	<title>Shop API</title>
	<link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png">
	<link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
</head>
<body>
	<div id="swagger-ui"></div>
	<script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
	<script src="${DOCS_PATH}/init.js"></script>
</body>
</html>
`;

interface Asset {
	body: Buffer;
	type: string;
}

/** Read on first request, then kept (the bundle is 1.5 MB: not read per request, nor at every start). */
const cache = new Map<string, Asset>();

function assetNamed(name: string): Asset | undefined {
	const cached = cache.get(name);
	if (cached) return cached;
	let asset: Asset | undefined;
	if (name === "init.js") asset = { body: Buffer.from(INIT_SCRIPT), type: "text/javascript; charset=utf-8" };
	else if (PACKAGE_ASSETS[name]) {
		asset = { body: readFileSync(path.join(SWAGGER_UI_DIR, name)), type: PACKAGE_ASSETS[name] as string };
	}
	if (asset) cache.set(name, asset);
	return asset;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, cacheControl: string): void {
	res.writeHead(status, {
		"Content-Type": type,
		"Content-Length": Buffer.byteLength(body),
		"Cache-Control": cacheControl,
		"X-Content-Type-Options": "nosniff",
	});
	res.end(body);
}

/** `GET /api/openapi.json`: the document built at start. */
export function serveDocument(res: ServerResponse, json: string): void {
	send(res, 200, "application/json; charset=utf-8", json, "no-cache");
}

/** `GET /api/docs`: the page. */
export function serveDocsPage(res: ServerResponse): void {
	send(res, 200, "text/html; charset=utf-8", PAGE, "no-cache");
}

/** `GET /api/docs/:asset`: one of the page's files; false when there is no such file (the caller answers 404). */
export function serveDocsAsset(
	req: IncomingMessage & { $params?: Record<string, unknown> },
	res: ServerResponse,
): boolean {
	const asset = assetNamed(String(req.$params?.asset ?? ""));
	if (!asset) return false;
	// The package's files change only with its version, which a restart brings.
	send(res, 200, asset.type, asset.body, "public, max-age=3600");
	return true;
}
