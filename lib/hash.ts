/** 32-bit FNV-1a over a string's UTF-16 code units: cheap, and spread well enough for membership hints. */
export function fnv1a32(text: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 0x01000193);
	}
	return h >>> 0;
}

/** FNV-1a, then murmur3's finalizer, so that similar inputs (ids differing in one character) spread evenly. */
export function spreadHash32(text: string): number {
	let h = fnv1a32(text);
	h ^= h >>> 16;
	h = Math.imul(h, 0x85ebca6b);
	h ^= h >>> 13;
	h = Math.imul(h, 0xc2b2ae35);
	h ^= h >>> 16;
	return h >>> 0;
}
