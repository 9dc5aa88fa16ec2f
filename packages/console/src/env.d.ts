/// <reference types="vite/client" />

/** The console's version, compiled in from its package.json by vite.config.ts. */
declare const __KNITFAB_VERSION__: string;
