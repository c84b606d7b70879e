import fs from "node:fs";
import path from "node:path";
import { SERVICE_MODULES } from "../../services";

const SERVICES_DIR = path.resolve(__dirname, "../../services");
const REQUIRED_SECTIONS = ["Endpoints", "Entities", "Data Stores", "Flow"];

/** Every service documents itself: its contract changes with its API_DOCS.md, in the same commit. */
describe("services' API_DOCS.md", () => {
	const folders = [...new Set(Object.values(SERVICE_MODULES).map((module) => module.split("/")[1] as string))];

	it("when the services are listed, then every one has a folder", () => {
		expect(folders.length).toBe(Object.keys(SERVICE_MODULES).length);
	});

	it.each(folders)("when %s is read, then it has the sections Endpoints, Entities, Data Stores and Flow", (folder) => {
		const file = path.join(SERVICES_DIR, folder, "API_DOCS.md");
		expect(fs.existsSync(file)).toBe(true);
		const headings = fs
			.readFileSync(file, "utf8")
			.split("\n")
			.filter((line) => line.startsWith("## "))
			.map((line) => line.slice(3).trim());
		expect(headings).toEqual(expect.arrayContaining(REQUIRED_SECTIONS));
	});
});
