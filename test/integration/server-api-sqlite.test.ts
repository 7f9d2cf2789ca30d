import { defineApiSuite } from "../support/api-suite.ts";

defineApiSuite({ kind: "sqlite" });
