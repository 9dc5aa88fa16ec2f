/**
 * postgresql.conf of every PGlite database we open (PGlite writes it at each start).
 *
 * PGlite's default shared_buffers is 128 MB, all of it resident in the WebAssembly memory once
 * touched. Its table files are ordinary files read through the operating system's page cache, so a
 * small buffer pool costs little: 32 MB keeps the embedded server's idle footprint near 200 MB
 * instead of 320 MB (see bench/server-start.mjs).
 */
export const PGLITE_CONFIGURATION = ["shared_buffers=32MB"];
