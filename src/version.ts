import pkg from "../package.json" with { type: "json" };

/** The agent's version, from package.json (the bundle inlines it). */
export const VERSION: string = pkg.version;
