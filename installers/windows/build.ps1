<#
.SYNOPSIS
    Build the Windows installer for shakyo-desk (Shakyo Desk).

.DESCRIPTION
    From a clean checkout:
      1. creates a virtual environment in build\venv-windows and installs the app and PyInstaller;
      2. runs PyInstaller with installers\pyinstaller\shakyo_desk.spec (output: dist\shakyo-desk);
      3. optionally signs shakyo-desk.exe and shakyo-desk-cli.exe (-Sign);
      4. runs dist\shakyo-desk\shakyo-desk-cli.exe --selftest;
      5. compiles installers\windows\shakyo-desk.iss with Inno Setup 6 (ISCC.exe), passing the
         version from shakyo_desk\__init__.py;
      6. optionally installs the result into a temporary folder, runs the self-test there and
         uninstalls it again (-TestInstall).
    Output: installers\windows\Output\shakyo-desk-setup-<version>.exe

.PARAMETER Python
    The Python 3.11+ to build with, e.g. "py -3.12" or "C:\Python312\python.exe".
    Default: the "py -3" launcher when present, otherwise "python".

.PARAMETER Sign
    Sign the executables, the setup and the uninstaller with signtool (see README.md).

.PARAMETER CertThumbprint
    SHA-1 thumbprint of the code-signing certificate in the certificate store. Without it
    signtool picks the best certificate itself (/a).

.PARAMETER TimestampUrl
    RFC 3161 timestamp server of your certificate authority (required with -Sign).

.PARAMETER SkipVenv
    Use the given Python as it is (PyInstaller and the app already installed).

.PARAMETER TestInstall
    After building, install silently into a temporary folder, run the self-test from the
    installed copy (a path with non-ASCII characters, like the real one) and uninstall again.
    Refuses when shakyo-desk is installed for this Windows user.

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File installers\windows\build.ps1
.EXAMPLE
    .\installers\windows\build.ps1 -Sign -CertThumbprint 0123...ABCD -TimestampUrl http://timestamp.example -TestInstall
#>
[CmdletBinding()]
param(
    [string]$Python = "",
    [switch]$Sign,
    [string]$CertThumbprint = "",
    [string]$TimestampUrl = "",
    [switch]$SkipVenv,
    [switch]$TestInstall
)

Set-StrictMode -Version Latest
$ErrorActionPreference = "Stop"

# Must match AppId in shakyo-desk.iss (Inno Setup adds "_is1" to the uninstall key).
$AppId = "{91822962-7A65-4B0C-A939-3E4406DFD363}"

function Invoke-Checked {
    param([string]$What, [string]$Exe, [string[]]$Arguments)
    Write-Host "==> $What" -ForegroundColor Cyan
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "$What failed (exit code $LASTEXITCODE)."
    }
}

function Find-Iscc {
    $cmd = Get-Command iscc.exe -ErrorAction SilentlyContinue
    if ($cmd) { return $cmd.Source }
    foreach ($base in @(${env:ProgramFiles(x86)}, $env:ProgramFiles, (Join-Path $env:LOCALAPPDATA "Programs"))) {
        if (-not $base) { continue }
        $c = Join-Path $base "Inno Setup 6\ISCC.exe"
        if (Test-Path -LiteralPath $c) { return $c }
    }
    throw "ISCC.exe (Inno Setup 6) not found. Install it (winget install JRSoftware.InnoSetup) or put ISCC.exe on PATH."
}

function Find-SignTool {
    $cmd = Get-Command signtool.exe -ErrorAction SilentlyContinue
    if ($cmd) { return $cmd.Source }
    $kitsBase = ${env:ProgramFiles(x86)}
    if (-not $kitsBase) { $kitsBase = $env:ProgramFiles }
    $kits = Join-Path $kitsBase "Windows Kits\10\bin"
    if (Test-Path -LiteralPath $kits) {
        $found = Get-ChildItem -LiteralPath $kits -Recurse -Filter signtool.exe -ErrorAction SilentlyContinue |
            Where-Object { $_.FullName -match "\\x64\\" } |
            Sort-Object FullName -Descending |
            Select-Object -First 1
        if ($found) { return $found.FullName }
    }
    throw "signtool.exe not found. Install the Windows SDK (Signing Tools) or put signtool.exe on PATH."
}

$Root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
Push-Location $Root
try {
    # ---- version ------------------------------------------------------------------------
    $init = Get-Content -LiteralPath (Join-Path $Root "shakyo_desk\__init__.py") -Raw -Encoding UTF8
    if ($init -notmatch '__version__\s*=\s*"([^"]+)"') {
        throw "Cannot read __version__ from shakyo_desk\__init__.py."
    }
    $Version = $Matches[1]
    $FileVersion = ([regex]::Match($Version, '^\d+(\.\d+){0,3}')).Value
    if (-not $FileVersion) { $FileVersion = "0.0.0" }
    Write-Host "shakyo-desk $Version (file version $FileVersion)"

    if ($Sign -and -not $TimestampUrl) {
        throw "-Sign needs -TimestampUrl (your certificate authority's RFC 3161 timestamp server)."
    }

    # ---- Python and the virtual environment ------------------------------------------------
    if ($Python) {
        $PyCmd = @($Python -split " " | Where-Object { $_ })
    } elseif (Get-Command py.exe -ErrorAction SilentlyContinue) {
        $PyCmd = @("py", "-3")
    } else {
        $PyCmd = @("python")
    }
    $PyExe = $PyCmd[0]
    $PyArgs = @($PyCmd | Select-Object -Skip 1)

    if ($SkipVenv) {
        $VenvPython = (& $PyExe @PyArgs -c "import sys; print(sys.executable)").Trim()
    } else {
        $Venv = Join-Path $Root "build\venv-windows"
        if (-not (Test-Path -LiteralPath (Join-Path $Venv "Scripts\python.exe"))) {
            Invoke-Checked "Create virtual environment $Venv" $PyExe ($PyArgs + @("-m", "venv", $Venv))
        }
        $VenvPython = Join-Path $Venv "Scripts\python.exe"
        Invoke-Checked "Upgrade pip" $VenvPython @("-m", "pip", "install", "--upgrade", "pip")
        Invoke-Checked "Install the app and PyInstaller" $VenvPython @("-m", "pip", "install", ".", "pyinstaller")
    }
    Invoke-Checked "Check the Python version (3.11 or later)" $VenvPython @("-c", "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)")

    # ---- PyInstaller ------------------------------------------------------------------------
    Invoke-Checked "PyInstaller (onedir)" $VenvPython @("-m", "PyInstaller", "--noconfirm", "--clean", "installers\pyinstaller\shakyo_desk.spec")
    $Dist = Join-Path $Root "dist\shakyo-desk"
    foreach ($exe in @("shakyo-desk.exe", "shakyo-desk-cli.exe")) {
        if (-not (Test-Path -LiteralPath (Join-Path $Dist $exe))) {
            throw "PyInstaller did not produce dist\shakyo-desk\$exe."
        }
    }

    # ---- signing the executables ---------------------------------------------------------------
    $SignArgs = @()
    if ($Sign) {
        $SignTool = Find-SignTool
        $SignArgs = @("sign", "/fd", "sha256", "/tr", $TimestampUrl, "/td", "sha256")
        if ($CertThumbprint) { $SignArgs += @("/sha1", $CertThumbprint) } else { $SignArgs += @("/a") }
        $targets = @((Join-Path $Dist "shakyo-desk.exe"), (Join-Path $Dist "shakyo-desk-cli.exe"))
        Invoke-Checked "Sign the executables" $SignTool ($SignArgs + $targets)
        Invoke-Checked "Verify the signatures" $SignTool (@("verify", "/pa") + $targets)
    }

    # ---- self-test of the built app ----------------------------------------------------------
    Invoke-Checked "Self-test (dist\shakyo-desk\shakyo-desk-cli.exe --selftest)" (Join-Path $Dist "shakyo-desk-cli.exe") @("--selftest")

    # ---- Inno Setup --------------------------------------------------------------------------
    $Iscc = Find-Iscc
    $IsccArgs = @("/Qp", "/DAppVersion=$Version", "/DFileVersion=$FileVersion")
    if ($Sign) {
        # $q is a double quote and $f the quoted file name for Inno Setup's SignTool; no quote
        # characters inside the argument keeps PowerShell's quoting out of the way.
        $SignCommand = '$q' + $SignTool + '$q ' + ($SignArgs -join " ") + ' $f'
        $IsccArgs += @("/DSign", "/Sshakyosign=$SignCommand")
    }
    $IsccArgs += @((Join-Path $Root "installers\windows\shakyo-desk.iss"))
    Invoke-Checked "Inno Setup ($Iscc)" $Iscc $IsccArgs

    $Setup = Join-Path $Root "installers\windows\Output\shakyo-desk-setup-$Version.exe"
    if (-not (Test-Path -LiteralPath $Setup)) { throw "Inno Setup did not produce $Setup." }
    if ($Sign) {
        Invoke-Checked "Verify the setup's signature" $SignTool @("verify", "/pa", $Setup)
    }

    # ---- optional: install, self-test and uninstall again ---------------------------------------
    if ($TestInstall) {
        $UninstallKey = "HKCU:\Software\Microsoft\Windows\CurrentVersion\Uninstall\$($AppId)_is1"
        if (Test-Path -LiteralPath $UninstallKey) {
            throw "-TestInstall refused: shakyo-desk is installed for this Windows user. Use another account or a test VM."
        }
        # A folder name with Japanese characters, like the real one (the 2 characters of "shakyo").
        $TestRoot = Join-Path ([System.IO.Path]::GetTempPath()) ("shakyo-desk-test-" + [guid]::NewGuid().ToString("N").Substring(0, 8))
        $TestDir = Join-Path $TestRoot ([string][char]0x793E + [char]0x5354)
        Write-Host "==> Test install into $TestDir" -ForegroundColor Cyan
        $log = Join-Path ([System.IO.Path]::GetTempPath()) "shakyo-desk-test-install.log"
        $p = Start-Process -FilePath $Setup -Wait -PassThru -ArgumentList @(
            "/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART", "/CURRENTUSER", "/DIR=`"$TestDir`"", "/LOG=`"$log`"")
        if ($p.ExitCode -ne 0) { throw "Test install failed (exit code $($p.ExitCode)); see $log." }
        try {
            Invoke-Checked "Self-test of the installed copy" (Join-Path $TestDir "shakyo-desk-cli.exe") @("--selftest")
        } finally {
            $uninstaller = Join-Path $TestDir "unins000.exe"
            if (Test-Path -LiteralPath $uninstaller) {
                $u = Start-Process -FilePath $uninstaller -Wait -PassThru -ArgumentList @("/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART")
                if ($u.ExitCode -ne 0) { Write-Warning "Test uninstall exit code $($u.ExitCode)." }
            }
            Remove-Item -LiteralPath $TestRoot -Recurse -Force -ErrorAction SilentlyContinue
        }
    }

    $hash = (Get-FileHash -LiteralPath $Setup -Algorithm SHA256).Hash
    Write-Host ""
    Write-Host "Built: $Setup" -ForegroundColor Green
    Write-Host "SHA-256: $hash"
} finally {
    Pop-Location
}
