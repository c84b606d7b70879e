/** A setting that is missing, malformed or contradicts another: the node refuses to start. */
export class ConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "ConfigError";
	}
}
