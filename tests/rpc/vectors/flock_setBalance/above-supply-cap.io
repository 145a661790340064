// beyond the supply cap: code 3 with SupplyCapExceeded, nothing sealed
>> {"jsonrpc":"2.0","id":1,"method":"flock_setBalance","params":["0x000000000000000000000000000000000000dead","0x6765c793fa10079d0000000"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":3,"message":"execution reverted","data":"0x4b344b110000000000000000000000000000000000000000067673c45c49ab7f78c000000000000000000000000000000000000000000000033b2e3c9fd0803ce8000000"}}
