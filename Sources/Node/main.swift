#if canImport(Glibc)
import Glibc
#endif

// Line-buffer nothing: output is flushed explicitly (and at exit).
let code = await CommandRegistry.main(Array(CommandLine.arguments.dropFirst()))
Console.flush()
exit(code)
