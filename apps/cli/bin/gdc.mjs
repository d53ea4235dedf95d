#!/usr/bin/env node
// Runs the TypeScript sources directly (internal packages are consumed as source).
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
