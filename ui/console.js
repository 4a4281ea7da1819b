// The first console page: sign in with an API token and watch the alert queue of the tenants
// the token holds. The full console (events, incidents, rules, cluster) grows from here.
const tokenInput = document.querySelector("#token")
const statusLine = document.querySelector("#status")
const body = document.querySelector("#alerts tbody")
const count = document.querySelector("#alert-count")
let token = sessionStorage.getItem("corvus.token") ?? ""
let timer

const cell = (text) => {
  const td = document.createElement("td")
  td.textContent = text
  return td
}

const render = (alerts) => {
  body.replaceChildren(
    ...alerts.map((alert) => {
      const row = document.createElement("tr")
      row.dataset.alertId = alert.id
      row.append(
        cell(alert.tenantName),
        cell(alert.name),
        cell(String(alert.priority)),
        cell(alert.status),
        cell((alert.groupedBy ?? []).join(", ")),
        cell(new Date(alert.firstSeen).toLocaleString()),
        cell(new Date(alert.lastSeen).toLocaleString()),
        cell(String((alert.events ?? []).length))
      )
      return row
    })
  )
  count.textContent = `(${alerts.length})`
}

const refresh = async () => {
  if (token === "") return
  try {
    const response = await fetch("/api/v1/alerts?withEvents", { headers: { Authorization: `Bearer ${token}` } })
    const payload = await response.json()
    if (!response.ok) {
      statusLine.textContent = `${payload.message}${payload.details ? `: ${payload.details}` : ""}`
      return
    }
    statusLine.textContent = ""
    render(payload)
  } catch (error) {
    statusLine.textContent = `cannot reach the API: ${error}`
  }
}

document.querySelector("#signin").addEventListener("submit", (event) => {
  event.preventDefault()
  token = tokenInput.value.trim()
  sessionStorage.setItem("corvus.token", token)
  clearInterval(timer)
  refresh()
  timer = setInterval(refresh, 3000)
})

if (token !== "") {
  tokenInput.value = token
  refresh()
  timer = setInterval(refresh, 3000)
}
