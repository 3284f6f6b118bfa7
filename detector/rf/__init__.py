"""RF side: the scanner's wire protocol on the host, scanner clients (our firmware and an
RF Explorer), the simulated scanner, and the analysis that turns sweeps into RF alerts."""
