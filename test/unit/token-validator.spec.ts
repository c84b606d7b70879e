import { UnauthorizedError } from "../../lib/auth/auth.errors";
import type { Caller } from "../../lib/auth/caller";
import { TokenValidator } from "../../services/gateway/token-validator";

/** An auth service stand-in that answers from a table and counts what it was asked. */
function authAnswering(answers: Record<string, Caller | "revoked">) {
	const asked: string[] = [];
	const ask = async (token: string, _context: unknown): Promise<Caller> => {
		asked.push(token);
		const answer = answers[token];
		if (!answer || answer === "revoked") throw new UnauthorizedError("TOKEN_REVOKED");
		return answer;
	};
	return { asked, ask, answers };
}

describe("the gateway's token validator", () => {
	const now = 1_800_000_000_000;
	const user = (expInS: number): Caller => ({
		sub: "u1",
		roles: ["customer"],
		jti: "j1",
		exp: now / 1000 + expInS,
	});

	it("when a token is valid, then it is asked about once per cache period", async () => {
		const auth = authAnswering({ t: user(900) });
		const validator = new TokenValidator(1000, auth.ask);
		await validator.validate("t", undefined, now);
		await validator.validate("t", undefined, now + 999);
		expect(auth.asked).toHaveLength(1);
		await validator.validate("t", undefined, now + 1000);
		expect(auth.asked).toHaveLength(2);
	});

	it("when a logged-out token was cached, then it is refused once the cache period has passed", async () => {
		const auth = authAnswering({ t: user(900) });
		const validator = new TokenValidator(1000, auth.ask);
		await validator.validate("t", undefined, now);
		auth.answers.t = "revoked";
		await expect(validator.validate("t", undefined, now + 500)).resolves.toMatchObject({ sub: "u1" });
		await expect(validator.validate("t", undefined, now + 1000)).rejects.toMatchObject({ type: "UNAUTHORIZED" });
	});

	it("when a token expires within the cache period, then it is not reused past its expiry", async () => {
		const auth = authAnswering({ t: user(0.3) });
		const validator = new TokenValidator(1000, auth.ask);
		await validator.validate("t", undefined, now);
		await validator.validate("t", undefined, now + 299);
		expect(auth.asked).toHaveLength(1);
		await validator.validate("t", undefined, now + 300);
		expect(auth.asked).toHaveLength(2);
	});

	it("when a token is refused, then the refusal is not cached", async () => {
		const auth = authAnswering({ t: "revoked" });
		const validator = new TokenValidator(1000, auth.ask);
		await expect(validator.validate("t", undefined, now)).rejects.toBeInstanceOf(UnauthorizedError);
		auth.answers.t = user(900);
		await expect(validator.validate("t", undefined, now + 1)).resolves.toMatchObject({ sub: "u1" });
	});

	it("when requests with one token arrive while it is being asked about, then they share the one answer", async () => {
		const auth = authAnswering({ t: user(900) });
		const validator = new TokenValidator(1000, auth.ask);
		const users = await Promise.all(Array.from({ length: 50 }, (_, i) => validator.validate("t", undefined, now + i)));
		expect(auth.asked).toHaveLength(1);
		expect(new Set(users.map((u) => u.sub))).toEqual(new Set(["u1"]));
	});

	it("when requests share a refusal, then the next request asks again", async () => {
		const auth = authAnswering({ t: "revoked" });
		const validator = new TokenValidator(1000, auth.ask);
		const answers = await Promise.allSettled([1, 2, 3].map(() => validator.validate("t", undefined, now)));
		expect(answers.every((a) => a.status === "rejected")).toBe(true);
		expect(auth.asked).toHaveLength(1);
		auth.answers.t = user(900);
		await expect(validator.validate("t", undefined, now + 1)).resolves.toMatchObject({ sub: "u1" });
		expect(auth.asked).toHaveLength(2);
	});

	it("when the cache is off, then every request asks", async () => {
		const auth = authAnswering({ t: user(900) });
		const validator = new TokenValidator(0, auth.ask);
		for (let i = 0; i < 3; i++) await validator.validate("t", undefined, now + i);
		expect(auth.asked).toHaveLength(3);
	});

	describe("when a revocation is broadcast", () => {
		const callerOf = (sub: string, jti: string): Caller => ({ sub, roles: ["customer"], jti, exp: now / 1000 + 900 });

		it("when a logged-out token's jti is forgotten, then its next request asks again and is refused; other tokens stay cached", async () => {
			const auth = authAnswering({ mine: callerOf("u1", "j-mine"), other: callerOf("u1", "j-other") });
			const validator = new TokenValidator(60_000, auth.ask);
			await validator.validate("mine", undefined, now);
			await validator.validate("other", undefined, now);
			auth.answers.mine = "revoked";
			validator.forget({ jtis: ["j-mine"] });
			await expect(validator.validate("mine", undefined, now + 1)).rejects.toMatchObject({ type: "UNAUTHORIZED" });
			await validator.validate("other", undefined, now + 1);
			expect(auth.asked).toEqual(["mine", "other", "mine"]);
		});

		it("when an account's tokens are revoked, then every cached token of that account is asked about again, and no other's", async () => {
			const auth = authAnswering({
				a1: callerOf("u1", "j1"),
				a2: callerOf("u1", "j2"),
				b: callerOf("u2", "j3"),
			});
			const validator = new TokenValidator(60_000, auth.ask);
			for (const token of ["a1", "a2", "b"]) await validator.validate(token, undefined, now);
			auth.answers.a1 = "revoked";
			auth.answers.a2 = "revoked";
			validator.forget({ userId: "u1", issuedBeforeS: now / 1000 + 1 });
			await expect(validator.validate("a1", undefined, now + 1)).rejects.toMatchObject({ type: "UNAUTHORIZED" });
			await expect(validator.validate("a2", undefined, now + 1)).rejects.toMatchObject({ type: "UNAUTHORIZED" });
			await expect(validator.validate("b", undefined, now + 1)).resolves.toMatchObject({ sub: "u2" });
			expect(auth.asked).toEqual(["a1", "a2", "b", "a1", "a2"]);
		});

		it("when an answer is still on its way at the revocation, then requests after it do not share that answer", async () => {
			let answer!: (caller: Caller) => void;
			const asked: string[] = [];
			const validator = new TokenValidator(60_000, (token: string) => {
				asked.push(token);
				return asked.length === 1
					? new Promise<Caller>((resolve) => {
							answer = resolve;
						})
					: Promise.reject(new UnauthorizedError("TOKEN_REVOKED"));
			});
			const before = validator.validate("t", undefined, now);
			validator.forget({ jtis: ["j1"] });
			const after = validator.validate("t", undefined, now + 1);
			answer(callerOf("u1", "j1"));
			await expect(before).resolves.toMatchObject({ sub: "u1" });
			await expect(after).rejects.toMatchObject({ type: "UNAUTHORIZED" });
			// The late "valid" was not remembered either.
			await expect(validator.validate("t", undefined, now + 2)).rejects.toMatchObject({ type: "UNAUTHORIZED" });
			expect(asked).toHaveLength(3);
		});

		it("when the transporter reconnects, then everything remembered is asked about again", async () => {
			const auth = authAnswering({ t: user(900) });
			const validator = new TokenValidator(60_000, auth.ask);
			await validator.validate("t", undefined, now);
			validator.forgetAll();
			await validator.validate("t", undefined, now + 1);
			expect(auth.asked).toHaveLength(2);
		});
	});
});
