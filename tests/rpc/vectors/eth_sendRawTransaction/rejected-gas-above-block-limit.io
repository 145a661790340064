// refused with -32003 naming the reason: gas above the block gas limit
>> {"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x02f876827a6980843b9aca0084773594008401c9c38194a0ee7a142d267c1f36714e4a8f75612f20a79720880de0b6b3a764000080c001a0b6711e0bae8a190750b2eff51b94af1bac43677efb3a778c7495dd79c55a8e9fa0057657d6149f7d3d19c00afc3180ba8ca657978930be21e293d53d009703ad8b"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"GasLimitExceeded: gas limit 30000001 exceeds the block's available gas 30000000","data":{"reason":"GasLimitExceeded"}}}
