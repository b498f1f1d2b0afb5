#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension HostTensor {
    /// Tells the kernel this process no longer needs the mapped pages under the tensor (after it was
    /// converted, e.g. quantized on load), so they leave the resident set; the file itself is untouched and
    /// the pages stay in the page cache. Only whole pages inside the tensor are released, never a
    /// neighbour's. Does nothing for tensors that are not views of a ``MappedFile``.
    func releaseMappedPages() {
        guard owner is MappedFile, let base = bytes.baseAddress, bytes.count > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let start = (Int(bitPattern: base) + page - 1) / page * page
        let end = (Int(bitPattern: base) + bytes.count) / page * page
        guard end > start, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(pointer, end - start, MADV_DONTNEED)
    }
}
