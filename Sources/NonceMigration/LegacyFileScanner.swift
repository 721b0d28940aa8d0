import Foundation
import NonceBackend

/// A file the import will report on.
struct LegacyCandidate: Sendable, Equatable {
    /// Absolute, with `.` and `..` removed (symlinks kept: the path is what the user sees).
    var path: String
    var kind: LegacyFileKind
    /// What is wrong before the file is even read: a directory that cannot be listed.
    var problem: LegacyValueProblem?
}

/// Turns the paths a user gives into the files to examine: a file stands for itself; a
/// directory for the files directly in it and in its `data/` subdirectory, where the old
/// bots kept their state. Nothing deeper is searched. A directory that cannot be listed,
/// and anything under a nonce file's name that is not a file (a directory included), become
/// candidates too, so the report names them as suspect instead of passing over them.
enum LegacyFileScanner {
    static func candidates(for paths: [String]) throws(NonceStoreError) -> [LegacyCandidate] {
        var found: [LegacyCandidate] = []
        var seen = Set<String>()
        func add(_ path: String) {
            let identity = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            guard seen.insert(identity).inserted else { return }
            let kind = LegacyFileKind(fileName: URL(fileURLWithPath: path).lastPathComponent)
            found.append(LegacyCandidate(path: path, kind: kind))
        }
        for given in paths {
            let path = absolute(given)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw .pathNotFound(given)
            }
            // A directory given by a nonce file's name is that file gone wrong, not a folder to
            // search: it is examined (and reported as suspect), never quietly found empty.
            guard isDirectory.boolValue, !isNonceName(URL(fileURLWithPath: path).lastPathComponent) else {
                add(path)
                continue
            }
            for directory in [path, path + "/data"] where directory == path || isDirectoryAt(directory) {
                guard let listed = entries(of: directory) else {
                    let reason = String(cString: strerror(errno))
                    found.append(LegacyCandidate(path: directory, kind: .unrecognized, problem: .cannotList(reason)))
                    continue
                }
                // A directory is searched only as `data/`; under a nonce file's name it is suspect.
                for entry in listed where !isDirectoryAt(entry) || isNonceName(URL(fileURLWithPath: entry).lastPathComponent) {
                    add(entry)
                }
            }
        }
        return found
    }

    private static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
            .standardizedFileURL.path
    }

    /// The entries of `directory`, sorted; nil (with `errno` set) when it cannot be listed.
    private static func entries(of directory: String) -> [String]? {
        guard let stream = opendir(directory) else { return nil }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(directory + "/" + name) }
        }
        return names.sorted()
    }

    private static func isNonceName(_ name: String) -> Bool {
        if case .nonce = LegacyFileKind(fileName: name) { return true }
        return false
    }

    private static func isDirectoryAt(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
