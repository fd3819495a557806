// Lint rules, including the one-way layer boundaries of STYLE §7/§8.13 (model <- core <- shell).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const SRC_FOLDERS = ["model", "core", "render", "rules-file", "livekit", "apply", "daemon", "emulator", "cli"];

/** Forbid importing the given sibling folders of src/, and any folder's internals except index.js. */
function layer(files, { allow, extra = [] }) {
  const forbidden = SRC_FOLDERS.filter((f) => !allow.includes(f));
  return {
    files,
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: forbidden.flatMap((f) => [`../${f}`, `../${f}/*`, `../../${f}`, `../../${f}/*`]),
              message: "layer boundary: see STYLE.md §7 'Allowed imports'",
            },
            {
              group: ["../*/*", "!../*/index.js", "../../*/*", "!../../*/index.js"],
              message: "import another folder only through its index.js",
            },
            ...extra,
          ],
        },
      ],
    },
  };
}

const NO_NODE = { group: ["node:*"], message: "pure layer: no node: modules (STYLE §8.13)" };

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "test/fixtures/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: "readonly", process: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
  layer(["src/model/**"], { allow: ["model"], extra: [NO_NODE] }),
  layer(["src/core/**"], { allow: ["model", "core"], extra: [NO_NODE] }),
  { ...layer(["src/core/fingerprint.ts"], { allow: ["model", "core"] }) },
  layer(["src/render/**"], { allow: ["model", "core", "render"], extra: [NO_NODE] }),
  layer(["src/rules-file/**"], { allow: ["model", "rules-file"] }),
  layer(["src/livekit/**"], { allow: ["model", "livekit"] }),
  layer(["src/apply/**"], { allow: ["model", "core", "apply"], extra: [NO_NODE] }),
  layer(["src/daemon/**"], { allow: ["model", "core", "render", "rules-file", "livekit", "apply", "daemon"] }),
  layer(["src/emulator/**"], { allow: ["model", "emulator"] }),
  // The executable's launcher is CommonJS by design (see its header): require() is its import.
  { files: ["src/bin.cts"], rules: { "@typescript-eslint/no-require-imports": "off" } },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/main.ts", "src/cli/**", "src/log.ts"],
    rules: { "no-console": "error" },
  },
);
