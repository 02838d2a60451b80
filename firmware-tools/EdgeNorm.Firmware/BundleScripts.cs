namespace EdgeNorm.Firmware;

/// <summary>The run script and systemd unit a bundle carries (text; LF line ends).</summary>
public static class BundleScripts
{
    public const string RunScript = "run.sh";

    /// <summary>Where the unit expects the unpacked bundle (the run script itself works from any folder).</summary>
    public static string InstallDir(string folder) => $"/opt/edgenorm/{folder}";

    public static string UnitFileName(string name) => $"edgenorm-{name}.service";

    public static string Run(string model) => $$"""
        #!/bin/sh
        # Runs the bundled edgenorm on the bundled model (from any folder; paths are relative to this script).
        #   ./run.sh                                   self-check: checksums + golden vectors (edgenorm verify)
        #   ./run.sh run --input x.npy --output y.npy  inference; likewise eval / bench / inspect / verify
        #   ./run.sh info                              CPU features and the kernel paths this binary uses
        # EDGENORM_EXEC prefixes the binary, e.g. an emulator on a build machine:
        #   EDGENORM_EXEC="qemu-aarch64 -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib" ./run.sh
        set -eu
        here=$(cd "$(dirname "$0")" && pwd)
        model="$here/{{model}}"
        verb="${1:-verify}"
        [ $# -gt 0 ] && shift
        case "$verb" in
          run|eval|bench|inspect|verify) exec ${EDGENORM_EXEC:-} "$here/edgenorm" "$verb" "$model" "$@" ;;
          *) exec ${EDGENORM_EXEC:-} "$here/edgenorm" "$verb" "$@" ;;
        esac

        """;

    public static string Unit(string name, string folder) => $"""
        # systemd unit for the EdgeNorm bundle {folder}. Install:
        #   sudo mkdir -p /opt/edgenorm && sudo tar -xzf {folder}.tar.gz -C /opt/edgenorm
        #   sudo cp {InstallDir(folder)}/{UnitFileName(name)} /etc/systemd/system/
        #   sudo systemctl daemon-reload && sudo systemctl enable --now {UnitFileName(name)}
        # As shipped it checks the model at boot (checksums + golden vectors; `systemctl status` shows the result).
        # Replace ExecStart with your pipeline, e.g. `run.sh run --input /var/lib/edgenorm/x.npy --output ...`.
        [Unit]
        Description=EdgeNorm model {name}: self-check of the bundled model
        After=local-fs.target

        [Service]
        Type=oneshot
        RemainAfterExit=yes
        WorkingDirectory={InstallDir(folder)}
        ExecStart={InstallDir(folder)}/{RunScript} verify
        DynamicUser=yes
        NoNewPrivileges=yes
        ProtectSystem=strict
        ProtectHome=yes
        PrivateTmp=yes

        [Install]
        WantedBy=multi-user.target

        """;
}
