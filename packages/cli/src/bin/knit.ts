#!/usr/bin/env node
import { exitQuietlyWhenReaderLeaves, processIo } from "../cli/io.js";
import { main } from "../main.js";

exitQuietlyWhenReaderLeaves();
process.exitCode = await main(process.argv.slice(2), processIo());
