import Foundation

/// A file the import will report on.
struct LegacyCandidate: Sendable, Equatable {
    /// Absolute, with `.` and `..` removed (symlinks kept: the path is what the user sees).
    var path: String
    var kind: LegacyFileKind
}

/// Turns the paths a user gives into the files to examine: a file stands for itself; a
/// directory for the files directly in it and in its `data/` subdirectory, where the old
/// bots kept their state. Nothing deeper is searched.
enum LegacyFileScanner {
    static func candidates(for paths: [String]) throws(LegacyImportError) -> [LegacyCandidate] {
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
            guard isDirectory.boolValue else {
                add(path)
                continue
            }
            for directory in [path, path + "/data"] where directory == path || isDirectoryAt(directory) {
                for entry in try entries(of: directory) where !isDirectoryAt(entry) {
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

    private static func entries(of directory: String) throws(LegacyImportError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory).sorted().map { directory + "/" + $0 }
        } catch {
            throw .cannotList(directory, reason: (error as NSError).localizedDescription)
        }
    }

    private static func isDirectoryAt(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
