// The one lint configuration of the monorepo; each workspace's `npm run lint` finds it here.
// Type-aware: rules that need the types (floating promises, unsafe any) read each file's
// nearest tsconfig.json through the TypeScript project service.
import { defineConfig } from "eslint/config";
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";

export default defineConfig(
  { ignores: ["**/dist/**", "**/dist-typecheck/**", "**/coverage/**", "e2e/test-results/**", "e2e/artifacts/**"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      // `_`-prefixed names and the rest of a destructuring are deliberately unused.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      // JSX handlers may be async (React ignores what they return); promises elsewhere may not leak.
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
      // `interface HostSettings extends SshOptions {}` names a type on purpose.
      "@typescript-eslint/no-empty-object-type": ["error", { allowInterfaces: "with-single-extends" }],
      // The `!` after an index is kept on purpose: it marks where noUncheckedIndexedAccess would bite.
      "@typescript-eslint/no-unnecessary-type-assertion": "off",
      // Callbacks are declared in method syntax (`onClose(): void`) and passed around; none uses `this`.
      "@typescript-eslint/unbound-method": "off",
      // An async function may satisfy a Promise-returning interface without awaiting anything.
      "@typescript-eslint/require-await": "off",
      // `NepiErrorCode | string` documents the expected values while accepting any.
      "@typescript-eslint/no-redundant-type-constituents": "off",
    },
  },
  {
    // Tests read back JSON the code wrote and assert on it (an `any` there fails the assertion,
    // not a program), and matchers such as `expect.any(Number)` are typed `any`.
    files: ["**/test/**/*.ts", "**/*.test.{ts,tsx}", "e2e/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    files: ["apps/web/src/**/*.{ts,tsx}"],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { "react-hooks": reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  // Plain JavaScript (this file, scripts, the CLI's launcher) is in no tsconfig: no type-aware rules.
  { files: ["**/*.{js,mjs,cjs}"], extends: [tseslint.configs.disableTypeChecked] },
);
