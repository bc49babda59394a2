// What to tell someone whose notebook asks for a kernel that is not installed, or who has no
// kernel at all: which kernel, where we looked, and the command that installs one for the
// language. The text is shared by `railbook kernels` and the notebook runner, so both say the same.

/** Kernelspec names Jupyter accepts; only such a name is safe to put into a suggested command. */
const VALID_NAME = /^[a-z0-9._-]+$/i;

/**
 * The language a kernel is for: the notebook's own word when it gives one, else a guess from the
 * kernelspec name (`python3`, `ir`, `julia-1.10`), since older notebooks often name only the kernel.
 */
function languageOf(name: string, language: string | undefined): string {
  const given = (language ?? '').trim().toLowerCase();
  if (given) return given;
  const n = name.toLowerCase();
  if (/^(python|xpython|py\d?$)/.test(n)) return 'python';
  if (n === 'ir' || /^r(-|$)/.test(n)) return 'r';
  if (n.startsWith('julia')) return 'julia';
  return '';
}

/**
 * How to install a kernel for `language`, as a clause ("install it with …"). With `name`, the
 * suggestion registers the kernel under that name when the tool allows it, so the notebook finds it
 * as it is.
 */
export function installHint(language: string | undefined, name?: string): string {
  const lang = languageOf(name ?? '', language);
  const custom = name !== undefined && VALID_NAME.test(name) ? name.toLowerCase() : undefined;
  switch (lang) {
    case 'python': {
      const as = custom && custom !== 'python3' ? ` --name ${custom}` : '';
      return `install one with \`apt-get install python3-ipykernel\` (Debian/Ubuntu, registers "python3") or \`pip install ipykernel && python -m ipykernel install --user${as}\``;
    }
    case 'r': {
      const as = custom && custom !== 'ir' ? `name = '${custom}'` : '';
      return `install IRkernel with \`apt-get install r-cran-irkernel\` (Debian/Ubuntu) or, in R, \`install.packages('IRkernel'); IRkernel::installspec(${as})\``;
    }
    case 'julia':
      return 'install IJulia: in Julia, `using Pkg; Pkg.add("IJulia")`';
    default: {
      const what = lang ? `a Jupyter kernel for ${lang}` : 'a Jupyter kernel';
      return `install ${what} (the list is at https://github.com/jupyter/jupyter/wiki/Jupyter-kernels) so that \`railbook kernels\` shows it`;
    }
  }
}

function folders(searched: string[]): string {
  return searched.length ? searched.join(', ') : '(no folders)';
}

/**
 * One sentence for a notebook whose kernel is not installed: the kernel, the folders searched and
 * how to install a kernel for its language.
 */
export function missingKernelMessage(name: string, language: string | undefined, searched: string[]): string {
  const lang = languageOf(name, language);
  const which = `kernel ${JSON.stringify(name)}${lang ? ` (${lang})` : ''}`;
  return `The notebook's ${which} is not installed (searched ${folders(searched)}): ${installHint(language, name)}, or pick an installed one from \`railbook kernels\`.`;
}

/** The message when no kernel is installed at all. */
export function noKernelsMessage(searched: string[]): string {
  return `No Jupyter kernels are installed (searched ${folders(searched)}). To run Python notebooks, ${installHint('python')}.`;
}
