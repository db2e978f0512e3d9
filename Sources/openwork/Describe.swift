import ArgumentParser
import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem

/// One-line descriptions for people.
enum Describe {
    static func workspace(_ workspace: JSONValue?) -> String {
        let id = workspace?["id"]?.stringValue ?? "?"
        let name = workspace?["name"]?.stringValue ?? "?"
        let place = workspace?["baseUrl"]?.stringValue.map { "\($0) \(workspace?["directory"]?.stringValue ?? "")" }
        return "\(id) \(name) \(place ?? workspace?["path"]?.stringValue ?? "")"
    }

    /// A count with its noun in the right number: `1 workspace`, `2 workspaces`.
    static func counted(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    static func table(_ result: JSONValue) -> String {
        let active = result["activeId"]?.stringValue
        let workspaces = result["workspaces"]?.arrayValue ?? []
        guard !workspaces.isEmpty else { return "no workspaces" }
        let rows =
            [["", "ID", "NAME", "TYPE", "WARM", "PATH"]]
            + workspaces.map { workspace in
                [
                    workspace["id"]?.stringValue == active ? "*" : "",
                    workspace["id"]?.stringValue ?? "", workspace["name"]?.stringValue ?? "",
                    workspace["workspaceType"]?.stringValue ?? "",
                    workspace["warm"]?.boolValue == true ? "yes" : "no",
                    workspace["baseUrl"]?.stringValue ?? workspace["path"]?.stringValue ?? "",
                ]
            }
        return columns(rows)
    }

    /// Rows as aligned columns two spaces apart; the last column is not padded (it holds paths and messages).
    static func columns(_ rows: [[String]]) -> String {
        let count = rows.map(\.count).max() ?? 0
        let widths = (0..<count).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func opencode(_ status: JSONValue) -> String {
        let state = status["state"]?.stringValue ?? "unknown"
        guard let pid = status["pid"]?.int64Value else { return "opencode \(state)" }
        return "opencode \(state): pid \(pid) at \(status["baseUrl"]?.stringValue ?? "?")"
    }
}
