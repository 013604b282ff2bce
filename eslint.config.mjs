// `npm run lint` (with `prettier --check`). typescript-eslint's type-aware recommended rules,
// React's hooks rules, Next.js's rules; formatting is Prettier's alone (eslint-config-prettier).
import js from "@eslint/js";
import nextPlugin from "@next/eslint-plugin-next";
import prettier from "eslint-config-prettier";
import reactHooks from "eslint-plugin-react-hooks";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  globalIgnores([
    "node_modules/",
    ".next/",
    "dist/",
    "public/vision/",
    "public/sounds/generated/",
    "prisma/generated/",
    "bench/results/",
    "e2e/.cache/",
    "test-results/",
    "playwright-report/",
    "data/",
    "next-env.d.ts",
    ".scratch/",
  ]),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // `_name` marks a value left out on purpose (rest destructuring that drops a key, unused callback parameters).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true }],
      // React event handlers may be async (their promise is handled inside); everywhere else a floating promise is an error.
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
      // Noise here: async functions that implement a Promise-returning interface without awaiting (local presence, test fakes).
      "@typescript-eslint/require-await": "off",
      // Noise here: the call context's functions are closures typed with method syntax, and emitWithAck is called with an explicit `.call`.
      "@typescript-eslint/unbound-method": "off",
      // An AbortSignal's reason is `any` by the DOM's typing; rejecting with it is right.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingAny: true, allowThrowingUnknown: true }],
      // A handler declared first and assigned once later, read by a closure made before (server/app.ts).
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // The hooks rules proper. eslint-plugin-react-hooks 7 also ships the React Compiler's rules
    // (set-state-in-effect, refs, purity...); this app does not use the compiler, so they are not enabled.
    files: ["app/**/*.{ts,tsx}", "components/**/*.{ts,tsx}", "client/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: { "react-hooks/rules-of-hooks": "error", "react-hooks/exhaustive-deps": "error" },
  },
  {
    files: ["app/**/*.{ts,tsx}", "components/**/*.{ts,tsx}"],
    extends: [nextPlugin.configs["core-web-vitals"]],
  },
  {
    files: ["**/*.{js,mjs,cjs}"],
    extends: [tseslint.configs.disableTypeChecked],
  },
  prettier,
);
