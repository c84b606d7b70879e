/**
 * Password hashes with scrypt (Node's crypto, memory-hard): `scrypt$<N>$<r>$<p>$<salt>$<hash>`, so a
 * later cost change still verifies the hashes written before it.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";

const COST: Required<Pick<ScryptOptions, "N" | "r" | "p">> = { N: 16_384, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_BYTES = 16;

function derive(password: string, salt: Buffer, cost: typeof COST): Promise<Buffer> {
	return new Promise((resolve, reject) =>
		scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, { ...cost, maxmem: 256 * cost.N * cost.r }, (err, key) =>
			err ? reject(err) : resolve(key),
		),
	);
}

export async function hashPassword(password: string): Promise<string> {
	const salt = randomBytes(SALT_BYTES);
	const key = await derive(password, salt, COST);
	return ["scrypt", COST.N, COST.r, COST.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** True when `password` is the one `stored` was made from; false for any malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
	const [scheme, n, r, p, salt, key] = stored.split("$");
	if (scheme !== "scrypt" || !salt || !key) return false;
	const cost = { N: Number(n), r: Number(r), p: Number(p) };
	if (![cost.N, cost.r, cost.p].every(Number.isInteger)) return false;
	const expected = Buffer.from(key, "base64url");
	const actual = await derive(password, Buffer.from(salt, "base64url"), cost);
	return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * A hash of no one's password, to verify against when the email is unknown: a login then costs the
 * same time whether or not the account exists.
 */
let unknownAccountHash: Promise<string> | undefined;
export function hashOfNoAccount(): Promise<string> {
	unknownAccountHash ??= hashPassword(randomBytes(16).toString("hex"));
	return unknownAccountHash;
}
