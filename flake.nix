# Railbook with Nix: a dev shell with everything `npm test` needs, and `railbook serve` as a
# package and an app. Only its syntax is checked (`nix-instantiate --parse flake.nix`, in
# test/integration/flake.test.ts): CI cannot fetch nixpkgs, so nothing here is evaluated or built.
#
#   nix develop        # Node 20, Python + ipykernel, Chromium, PostgreSQL 15, git
#   nix run            # railbook serve
#   nix build          # ./result/bin/railbook
{
  description = "Railbook: local-first, step-by-step AI workflows";

  inputs = {
    # A stable release branch: it has nodejs_20, postgresql_15 and python3Packages.ipykernel.
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";
  };

  outputs = { self, nixpkgs }:
    let
      lib = nixpkgs.lib;

      # The four platforms Railbook is used on; no flake-utils input for one small function.
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      # Python for the notebook tests: ipykernel (the kernel), jupyter-client, and nbformat (checks
      # the .ipynb files Railbook writes). ipykernel installs its kernelspec at
      # share/jupyter/kernels/python3/kernel.json, which the env links under its own share/.
      # xeus-python is not packaged in nixpkgs (only the xeus and xeus-zmq C++ libraries are), so
      # the second, independent kernel the notebook tests use is missing from this shell: install
      # it yourself (e.g. from conda-forge) and add its share/jupyter to JUPYTER_PATH.
      pythonFor = pkgs: pkgs.python3.withPackages (ps: [ ps.ipykernel ps.nbformat ps.jupyter-client ]);

      railbookFor = pkgs:
        pkgs.buildNpmPackage {
          pname = "railbook";
          version = (lib.importJSON ./package.json).version;

          # In a git checkout a flake copies only tracked files: no node_modules/ or data/.
          src = ./.;

          # The npm dependencies are fetched from package-lock.json into a fixed-output derivation,
          # so their hash must be known. Nothing can be fetched where this file was written: on the
          # first `nix build` Nix fails with "hash mismatch ... got: sha256-..."; put that value
          # here (or run `nix run nixpkgs#prefetch-npm-deps package-lock.json`). Update it whenever
          # package-lock.json changes.
          npmDepsHash = lib.fakeHash;

          # Build and run with Node 20, the version package.json's engines field is written for.
          nodejs = pkgs.nodejs_20;

          # No build step: tsx compiles the TypeScript as it is loaded (docs/DECISIONS.md).
          dontNpmBuild = true;

          # Native modules: better-sqlite3 has no prebuilt download in the sandbox, so it compiles
          # with node-gyp (python3 + the C++ toolchain that stdenv provides); pkg-config is for
          # builds that look for system libraries. zeromq 6 ships prebuilt addons for these four
          # platforms; its cmake fallback would need network access and fails in the sandbox.
          nativeBuildInputs = [ pkgs.python3 pkgs.pkg-config pkgs.makeWrapper ];

          # What `railbook` loads at run time, next to the production node_modules; then a
          # wrapper that runs `node bin/railbook.js` with this Node 20, whatever is on PATH.
          installPhase = ''
            runHook preInstall
            npm prune --omit=dev --no-save --no-audit --no-fund
            app=$out/lib/railbook
            mkdir -p "$app" $out/bin
            cp -r package.json tsconfig.json bin src workflows notebooks node_modules "$app"/
            makeWrapper ${pkgs.nodejs_20}/bin/node $out/bin/railbook --add-flags "$app/bin/railbook.js"
            runHook postInstall
          '';

          meta = {
            description = "Local-first, step-by-step AI workflows: a notebook's clarity for repeatable work";
            license = lib.licenses.mit;
            mainProgram = "railbook";
            platforms = systems;
          };
        };
    in
    {
      packages = forAllSystems (pkgs: {
        default = railbookFor pkgs;
      });

      # `nix run` starts the app; data goes to ./data of the folder it is run from (the README's
      # default). Extra arguments are passed on: `nix run . -- --port 9000`.
      apps = forAllSystems (pkgs:
        let
          serve = pkgs.writeShellScript "railbook-serve" ''
            exec ${railbookFor pkgs}/bin/railbook serve "$@"
          '';
        in
        {
          default = {
            type = "app";
            program = "${serve}";
          };
        });

      devShells = forAllSystems (pkgs:
        let
          isLinux = pkgs.stdenv.hostPlatform.isLinux;
          python = pythonFor pkgs;
        in
        {
          default = pkgs.mkShell {
            packages = [
              pkgs.nodejs_20
              python
              pkgs.postgresql_15
              pkgs.git
              # better-sqlite3 and zeromq may compile during `npm ci`.
              pkgs.pkg-config
            ]
            # Chromium for the browser tests is packaged for Linux only. On macOS leave it out and
            # point the tests at Chrome instead:
            #   export RAILBOOK_CHROMIUM="/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"
            # util-linux gives `setpriv`, which ties kernels to Railbook's life (docs/DECISIONS.md §37).
            ++ lib.optionals isLinux [ pkgs.chromium pkgs.util-linux ];

            shellHook = ''
              ${lib.optionalString isLinux ''export RAILBOOK_CHROMIUM="${pkgs.chromium}/bin/chromium"''}
              # The env's ipykernel kernelspec (kernels/python3); its argv runs `python`, which is
              # this env's interpreter while the shell is active.
              export JUPYTER_PATH="${python}/share/jupyter''${JUPYTER_PATH:+:$JUPYTER_PATH}"
              echo "Railbook dev shell. Start it:      npm ci && npm start"
              echo "                    Run the tests:  npm test"
            '';
          };
        });
    };
}
