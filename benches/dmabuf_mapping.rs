//! Re-importing a LINEAR dma-buf on a device without dma-buf import: the mapping imported
//! as host memory and copied by the GPU (`DmabufImport::HostMapping`), against the CPU
//! copy through the staging ring it replaces (`RendererOptions::dmabuf_host_import`
//! off), both on the same device in the same run, and `memcpy` of the same bytes as the
//! reference. A memfd stands in for the dma-buf (what udmabuf exports). Each re-import is
//! timed to completion (the CPU path's GPU copy from staging included), and separately
//! until `import_dmabuf` returns.
//!
//! `cargo bench --bench dmabuf_mapping`. See BENCHMARKS.md.

mod common;

use std::os::fd::{FromRawFd, OwnedFd};
use std::time::Instant;

use common::{measure, ms, Result, Samples, WARM_UP};

use vkcompose::dmabuf::{Dmabuf, DmabufPath, HandleKind, Modifier};
use vkcompose::format::DrmFourcc;
use vkcompose::{Device, DmabufImport, Instance, InstanceOptions, Renderer, RendererOptions};

fn main() -> Result<()> {
    let instance = Instance::new(&InstanceOptions::default())?;
    let device = Device::new(&instance)?;
    println!(
        "device: {} ({:?}), dma-buf import: {:?}",
        device.name(),
        device.physical_device().info().driver.id,
        device.capabilities().dmabuf_import
    );
    if device.capabilities().dmabuf_import != DmabufImport::HostMapping {
        println!("this device does not take the host-mapping path: nothing to compare");
        return Ok(());
    }
    let host = Renderer::new(&device, &RendererOptions::default())?;
    let cpu_options = RendererOptions {
        dmabuf_host_import: false,
        ..Default::default()
    };
    let cpu = Renderer::new(&device, &cpu_options)?;
    let mut renderers = [
        (host, DmabufPath::HostMappingCopy),
        (cpu, DmabufPath::CpuCopy),
    ];
    for (w, h) in [(1920u32, 1080u32), (3840, 2160)] {
        compare(&device, &mut renderers, w, h)?;
    }
    Ok(())
}

/// One size: memcpy, then each renderer's re-import.
fn compare(
    device: &Device,
    renderers: &mut [(Renderer, DmabufPath); 2],
    w: u32,
    h: u32,
) -> Result<()> {
    let len = (w * h * 4) as usize;
    let data: Vec<u8> = (0..len).map(|i| (i / 4) as u8).collect();
    let mut copy = vec![0u8; len];
    let [memcpy] = measure(|| {
        let started = Instant::now();
        copy.copy_from_slice(std::hint::black_box(&data));
        std::hint::black_box(&copy);
        Ok([ms(started.elapsed())])
    })?;
    let buffer = Dmabuf::builder(
        w,
        h,
        DrmFourcc::Xrgb8888,
        Modifier::LINEAR,
        HandleKind::DmaBuf,
    )
    .plane(memfd(&data)?, 0, u64::from(w * 4))
    .build();
    let mut results = Vec::new();
    for (renderer, path) in renderers.iter_mut() {
        let texture = renderer.import_dmabuf(&buffer)?;
        let taken = renderer.dmabuf_path(&buffer);
        if taken != Some(*path) {
            return Err(format!("expected {path:?}, the buffer took {taken:?}").into());
        }
        for _ in 0..WARM_UP {
            drop(renderer.import_dmabuf(&buffer)?);
            renderer.wait_idle()?;
        }
        let objects = device.objects_created();
        let [done, returned] = measure(|| {
            let started = Instant::now();
            drop(renderer.import_dmabuf(&buffer)?);
            let returned = ms(started.elapsed());
            renderer.wait_idle()?;
            Ok([ms(started.elapsed()), returned])
        })?;
        let made = device.objects_created() - objects;
        drop(texture);
        results.push((*path, done, returned, made));
    }
    report(w, h, len, &memcpy, &results);
    Ok(())
}

fn report(
    w: u32,
    h: u32,
    len: usize,
    memcpy: &Samples,
    results: &[(DmabufPath, Samples, Samples, u64)],
) {
    let gbs = |ms: f64| len as f64 / (ms * 1e6);
    println!(
        "{w}x{h} XRGB8888 ({} MB): memcpy {}, {:.1} GB/s",
        len / 1_000_000,
        memcpy.spread(),
        gbs(memcpy.median())
    );
    for (path, done, returned, made) in results {
        println!(
            "  {path:?}: to completion {}, {:.1} GB/s; call returns after {:.3} ms; {made} objects while steady",
            done.spread(),
            gbs(done.median()),
            returned.median()
        );
    }
    let (host, cpu) = (&results[0].1, &results[1].1);
    println!(
        "  host mapping / CPU copy: {:.2}x the time ({:.2}x faster); host mapping / memcpy {:.2}x",
        host.median() / cpu.median(),
        cpu.median() / host.median(),
        host.median() / memcpy.median()
    );
    println!(
        "{{\"bench\":\"dmabuf_mapping\",\"width\":{w},\"height\":{h},\"bytes\":{len},\"memcpy_ms\":{:.4},\"host_mapping_ms\":{:.4},\"cpu_copy_ms\":{:.4},\"host_mapping_return_ms\":{:.4},\"cpu_copy_return_ms\":{:.4},\"host_mapping_objects\":{}}}",
        memcpy.median(),
        host.median(),
        cpu.median(),
        results[0].2.median(),
        results[1].2.median(),
        results[0].3
    );
}

/// A memfd holding `bytes`: what a LINEAR dma-buf from udmabuf is backed by.
fn memfd(bytes: &[u8]) -> Result<OwnedFd> {
    // SAFETY: a plain syscall with a valid name; the result is checked.
    let raw = unsafe { libc::memfd_create(c"vkcompose-bench".as_ptr(), libc::MFD_CLOEXEC) };
    if raw < 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    // SAFETY: a fresh fd we own.
    let mut file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(raw) });
    std::io::Write::write_all(&mut file, bytes)?;
    Ok(file.into())
}
