// Process wiring. PLACEHOLDER while the command is being built; replaced before it is documented.
import { AppError, type ExitCode } from "../../model/index.js";

export const help = "sip-dispatch-sync apply: not built yet";

export async function run(): Promise<ExitCode> {
  throw new AppError("not-implemented", "apply is not built yet");
}
