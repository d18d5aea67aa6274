// ESLint for the TypeScript tree (Solidity has solhint). Production code — the two services,
// common/ and scripts/ — gets typescript-eslint's type-checked rules: no `any`, nothing
// unsafe flowing out of an `any`, no promise left floating, and no `as never` cast, which
// silences the type checker where a typed ABI or a real type belongs. Tests and benchmarks
// keep the checks that catch real bugs there (a floating `expect(...).to.be.reverted…`
// asserts nothing) and may use loose casts to build fixtures and bad input.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

const PRODUCTION = [
  "nodes/src/**/*.ts",
  "anchor-service/src/**/*.ts",
  "common/**/*.ts",
  "scripts/**/*.ts",
  "*.ts",
  // the back-office console (React, in the browser; its own tsconfig)
  "nodes/console/src/**/*.ts",
  "nodes/console/src/**/*.tsx",
];
const TESTS = ["test/**/*.ts", "bench/**/*.ts"];

const noNeverCast = [
  {
    selector: "TSAsExpression > TSNeverKeyword.typeAnnotation",
    message:
      "`as never` switches the type checker off; use the real type (typed ABIs live in common/chain/).",
  },
  {
    selector: "TSTypeAssertion > TSNeverKeyword.typeAnnotation",
    message: "`<never>` switches the type checker off; use the real type (typed ABIs live in common/chain/).",
  },
];

export default defineConfig(
  globalIgnores([
    "node_modules/",
    "artifacts/",
    "cache/",
    "types/",
    "coverage/",
    "data/",
    "test-artifacts/",
    // generated from the build artifacts by common/chain/generate.ts
    "common/chain/generated/",
    // bundled for the court page by anchor-service/web/src/build.ts
    "anchor-service/web/pdf-signatures.js",
    "anchor-service/web/verifier.js",
    "anchor-service/web/case-archive-verifier.js",
    // the back-office console's bundle, by nodes/console/build.ts
    "nodes/console/dist/",
  ]),

  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },

  {
    files: ["**/*.ts", "**/*.tsx"],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
      "@typescript-eslint/no-floating-promises": ["error", { ignoreVoid: true }],
      "@typescript-eslint/no-misused-promises": [
        "error",
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: true },
      ],
      // an AbortSignal's reason, or a caught value passed on, is rejected or thrown as it came
      "@typescript-eslint/prefer-promise-reject-errors": [
        "error",
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      // async for the interface it implements (a hook, a provider callback), not a forgotten await
      "@typescript-eslint/require-await": "off",
      // a promise returned un-awaited inside try escapes its catch and finally
      "@typescript-eslint/return-await": ["error", "in-try-catch"],
      "@typescript-eslint/no-deprecated": "error",
      eqeqeq: ["error", "smart"],
    },
  },

  {
    files: PRODUCTION,
    rules: {
      "no-restricted-syntax": ["error", ...noNeverCast],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },

  {
    files: TESTS,
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      // chai's `expect(x).to.be.true` is an expression statement by design
      "@typescript-eslint/no-unused-expressions": "off",
      "@typescript-eslint/unbound-method": "off",
      // flags `reply.json() as T` (a generic call) and its fix drops the type to `any`
      "@typescript-eslint/no-unnecessary-type-assertion": "off",
      // diagnostics print whatever a fuzzer or a fixture produced
      "@typescript-eslint/no-base-to-string": "off",
      "preserve-caught-error": "off",
    },
  },

  {
    // the verification page runs in the browser; the install hook and this file run on Node
    files: ["**/*.js", "**/*.mjs"],
    extends: [js.configs.recommended, tseslint.configs.disableTypeChecked],
    languageOptions: { sourceType: "module" },
  },
  { files: ["anchor-service/web/**/*.js"], languageOptions: { globals: globals.browser } },
  {
    files: ["nodes/console/src/**/*.tsx", "nodes/console/src/**/*.ts"],
    languageOptions: { globals: globals.browser },
  },
  { files: ["scripts/**/*.mjs", "*.js"], languageOptions: { globals: globals.node } },
);
